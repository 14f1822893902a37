package mobilevit.data.pipeline;

import mobilevit.core.DaemonThreads;
import mobilevit.data.dataset.ImageFolder;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** A loader's decoding threads and the passes they prepare; closing it stops both. */
final class WorkerPool implements AutoCloseable {

    private final ExecutorService executor;
    private final BatchMemory memory;
    private final Set<Batches> open = ConcurrentHashMap.newKeySet();

    /**
     * {@code threads} daemon threads named {@code name-1}, {@code name-2}, ...; the passes' batches
     * reuse up to {@code keptBuffers} shard buffers that closed batches hand back.
     */
    WorkerPool(int threads, String name, int keptBuffers) {
        if (threads <= 0) {
            throw new IllegalArgumentException("workers must be positive, got " + threads);
        }
        memory = new BatchMemory(keptBuffers);
        executor = Executors.newFixedThreadPool(threads, DaemonThreads.named(name));
    }

    /** Starts preparing batches {@code first .. end-1} of {@code plan} (see {@link LoadingBatches}). */
    Batches pass(ImageFolder folder, IntFunction<SampledBatch> plan, SampleSource source, int first, int end,
            int prefetch, Path skippedFile, String passName) {
        LoadingBatches batches = new LoadingBatches(executor, memory, folder, plan, source, first, end, prefetch,
                skippedFile, passName, open::remove);
        open.add(batches);
        return batches;
    }

    /** Closes the open passes and stops the threads; batches already handed out stay valid. */
    @Override
    public void close() {
        List.copyOf(open).forEach(Batches::close);
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
