package mobilevit.data.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import mobilevit.core.AtomicFiles;
import mobilevit.data.codec.UnreadableImageException;
import mobilevit.data.dataset.ImageFolder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The batches of one pass, built by a pool of workers: at most {@code prefetch} batches are being
 * prepared at any time (so memory stays bounded), each sample is one task that writes straight into
 * its slot of the batch's buffer, and batches are handed out in order. What a sample contains
 * depends only on the plan and the source, never on which thread ran it or when.
 */
final class LoadingBatches implements Batches {

    private static final Logger LOG = LoggerFactory.getLogger(LoadingBatches.class);

    private final ExecutorService workers;
    private final IntFunction<SampledBatch> plan;
    private final SampleSource source;
    private final ImageFolder folder;
    private final int first;
    private final int end;
    private final int prefetch;
    private final Path skippedFile;
    private final String passName;
    private final Consumer<Batches> onClose;
    private final BatchMemory memory;
    private final ConcurrentLinkedDeque<Pending> window = new ConcurrentLinkedDeque<>();
    private final List<SkippedImage> skipped = new ArrayList<>();
    private int submitted;
    private int returned;
    private volatile boolean closed;

    /**
     * Batches {@code first .. end-1} of {@code plan}. When the pass ends, the skipped images are
     * logged and, if {@code skippedFile} is not null and some were skipped, listed in that file.
     * {@code onClose} is told once when the pass is closed.
     */
    LoadingBatches(ExecutorService workers, BatchMemory memory, ImageFolder folder, IntFunction<SampledBatch> plan,
                   SampleSource source, int first, int end, int prefetch, Path skippedFile, String passName,
                   Consumer<Batches> onClose) {
        this.workers = workers;
        this.memory = memory;
        this.folder = folder;
        this.plan = plan;
        this.source = source;
        this.first = first;
        this.end = end;
        this.prefetch = prefetch;
        this.skippedFile = skippedFile;
        this.passName = passName;
        this.onClose = onClose;
        this.submitted = first;
        this.returned = first;
        topUp();
    }

    @Override
    public int count() {
        return end - first;
    }

    @Override
    public boolean hasNext() {
        return !closed && returned < end;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException(closed ? "closed" : "the pass has ended");
        }
        topUp();
        Pending head = window.poll();
        if (head == null) {
            throw new NoSuchElementException("closed");
        }
        long start = System.nanoTime();
        Batch batch;
        try {
            batch = head.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("the loader was closed while a batch was awaited", e);
        } catch (ExecutionException e) {
            close();
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("loading batch " + head.spec.iteration() + " failed", cause);
        }
        long waited = System.nanoTime() - start;
        returned++;
        topUp();
        skipped.addAll(batch.skipped());
        if (returned == end) {
            summarise();
            close();
        }
        return batch.withWait(waited);
    }

    @Override
    public List<SkippedImage> skipped() {
        return Collections.unmodifiableList(skipped);
    }

    /** Stops preparing batches; safe to call from another thread than the consumer's, and more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Pending p = window.poll(); p != null; p = window.poll()) {
            p.done.cancel(false);
        }
        onClose.accept(this);
    }

    private void topUp() {
        while (!closed && window.size() < prefetch && submitted < end) {
            Pending p = new Pending(plan.apply(submitted++));
            window.add(p);
            try {
                workers.execute(p::start);
            } catch (RejectedExecutionException e) {
                p.done.completeExceptionally(new IllegalStateException("the loader is closed", e));
            }
        }
    }

    private void summarise() {
        if (skipped.isEmpty()) {
            return;
        }
        String where = "";
        if (skippedFile != null) {
            StringBuilder text = new StringBuilder();
            for (SkippedImage s : skipped) {
                text.append(s.path()).append('\t').append(s.reason()).append('\n');
            }
            try {
                AtomicFiles.write(skippedFile, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
                where = "; listed in " + skippedFile;
            } catch (IOException e) {
                LOG.warn("cannot write {}: {}", skippedFile, e.toString());
            }
        }
        LOG.warn("{}: {} unreadable image(s) skipped{}", passName, skipped.size(), where);
    }

    /** A batch being prepared. */
    private final class Pending {
        final SampledBatch spec;
        final CompletableFuture<Batch> done = new CompletableFuture<>();
        private ByteBuffer[] data;
        private boolean[][] ok;
        private String[][] failures;
        private int sampleSize;
        private AtomicInteger remaining;

        Pending(SampledBatch spec) {
            this.spec = spec;
        }

        /** Allocates the buffers (on a worker, not on the consumer's thread) and queues the samples. */
        void start() {
            try {
                int shards = spec.shards().length;
                sampleSize = 3 * spec.scale().height() * spec.scale().width();
                data = new ByteBuffer[shards];
                ok = new boolean[shards][];
                failures = new String[shards][];
                int total = 0;
                for (int k = 0; k < shards; k++) {
                    int n = spec.shards()[k].length;
                    data[k] = memory.take(Math.multiplyExact(n, sampleSize));
                    ok[k] = new boolean[n];
                    failures[k] = new String[n];
                    total += n;
                }
                remaining = new AtomicInteger(total);
                if (total == 0) {
                    done.complete(assemble());
                }
                for (int k = 0; k < shards; k++) {
                    for (int s = 0; s < spec.shards()[k].length; s++) {
                        int shard = k;
                        int sample = s;
                        workers.execute(() -> run(shard, sample));
                    }
                }
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }

        private void run(int k, int s) {
            try {
                if (!closed && !done.isDone()) {
                    int index = spec.shards()[k][s];
                    source.fill(spec, k, s, index, data[k], s * sampleSize);
                    ok[k][s] = true;
                }
            } catch (UnreadableImageException e) {
                failures[k][s] = e.getMessage();
            } catch (Throwable t) {
                done.completeExceptionally(t);
            } finally {
                if (remaining.decrementAndGet() == 0 && !done.isDone()) {
                    done.complete(closed ? null : assemble());
                }
            }
        }

        /** Moves the readable images to the front of each shard's buffer. */
        private Batch assemble() {
            int shards = data.length;
            long[][] labels = new long[shards][];
            int[][] indices = new int[shards][];
            List<SkippedImage> skippedHere = new ArrayList<>();
            for (int k = 0; k < shards; k++) {
                int[] planned = spec.shards()[k];
                int kept = 0;
                long[] l = new long[planned.length];
                int[] idx = new int[planned.length];
                for (int s = 0; s < planned.length; s++) {
                    if (!ok[k][s]) {
                        Path path = folder.path(planned[s]);
                        LOG.warn("skipping unreadable image {}: {}", path, failures[k][s]);
                        skippedHere.add(new SkippedImage(path, failures[k][s]));
                        continue;
                    }
                    if (kept != s) {
                        data[k].put(kept * sampleSize, data[k].duplicate(), s * sampleSize, sampleSize);
                    }
                    l[kept] = folder.label(planned[s]);
                    idx[kept] = planned[s];
                    kept++;
                }
                labels[k] = Arrays.copyOf(l, kept);
                indices[k] = Arrays.copyOf(idx, kept);
            }
            return new Batch(spec, spec.scale().height(), spec.scale().width(), data, labels, indices, skippedHere, 0,
                    memory);
        }
    }
}
