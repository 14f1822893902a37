package mobilevit.launch.faults;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the tests read in a run folder, independently of the trainer's own code: checkpoint
 * folders and pointers, manifests checked against the bytes on disk, safetensors compared tensor by
 * tensor, and leftovers of interrupted writes.
 */
final class RunFiles {

    /** The run folder's lock file: it stays after a run, whose PID it holds. */
    static final String LOCK = ".lock";
    static final Pattern CHECKPOINT = Pattern.compile("e(\\d{4,})-i(\\d{6,})");
    /** The five files a checkpoint's manifest must list. */
    static final List<String> CHECKPOINT_FILES = List.of("model.safetensors", "ema.safetensors",
            "optimizer.safetensors", "state.json", "config.yaml");

    private RunFiles() {}

    static Path checkpointsDir(Path run) {
        return run.resolve("checkpoints");
    }

    /** Checkpoint folder names, oldest first. */
    static List<String> checkpoints(Path run) {
        Path dir = checkpointsDir(run);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> CHECKPOINT.matcher(n).matches())
                    .sorted(Comparator.comparing(RunFiles::order)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sort key of a checkpoint name: (epoch, iteration). */
    static long order(String name) {
        Matcher m = CHECKPOINT.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException(name);
        }
        return Long.parseLong(m.group(1)) * 1_000_000_000L + Long.parseLong(m.group(2));
    }

    /** The checkpoint name a pointer file ({@code last.json}, {@code best.json}) holds, or null. */
    static String pointer(Path run, String file) {
        Path f = checkpointsDir(run).resolve(file);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JsonParser.parseString(Files.readString(f)).getAsJsonObject().get("checkpoint").getAsString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            return "<unreadable " + file + ">";
        }
    }

    /**
     * Checks a checkpoint folder against its manifest: every expected file listed, present, of
     * the listed size and SHA-256. Null when intact, else what is wrong.
     */
    static String verify(Path checkpoint) {
        Path manifest = checkpoint.resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return checkpoint.getFileName() + ": manifest.json missing";
        }
        JsonObject files;
        try {
            files = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject().getAsJsonObject("files");
        } catch (IOException | RuntimeException e) {
            return checkpoint.getFileName() + ": manifest.json unreadable";
        }
        for (String f : CHECKPOINT_FILES) {
            JsonElement entry = files == null ? null : files.get(f);
            if (entry == null) {
                return checkpoint.getFileName() + ": manifest does not list " + f;
            }
            Path p = checkpoint.resolve(f);
            if (!Files.isRegularFile(p)) {
                return checkpoint.getFileName() + ": " + f + " missing";
            }
            try {
                if (Files.size(p) != entry.getAsJsonObject().get("bytes").getAsLong()) {
                    return checkpoint.getFileName() + ": " + f + " has the wrong size";
                }
                if (!sha256(p).equals(entry.getAsJsonObject().get("sha256").getAsString())) {
                    return checkpoint.getFileName() + ": " + f + " does not match its SHA-256";
                }
            } catch (IOException e) {
                return checkpoint.getFileName() + ": " + f + " unreadable";
            }
        }
        return null;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of every file under {@code dir}, by relative path. */
    static Map<String, String> hashTree(Path dir) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), sha256(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Hidden entries anywhere in a run folder but its lock file: temporary files and folders of
     * interrupted writes.
     */
    static List<String> leftovers(Path run) {
        try (Stream<Path> s = Files.walk(run)) {
            // the outermost hidden entry of each leftover (not every file inside a hidden folder)
            return s.filter(p -> !p.equals(run) && !p.equals(run.resolve(LOCK))).map(run::relativize)
                    .filter(rel -> {
                        for (int i = 0; i < rel.getNameCount(); i++) {
                            if (rel.getName(i).toString().startsWith(".")) {
                                return i == rel.getNameCount() - 1;
                            }
                        }
                        return false;
                    })
                    .map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor of a safetensors file: dtype, shape and raw bytes. */
    record Tensor(String dtype, List<Long> shape, byte[] data) {}

    /** Reads a safetensors file (8-byte little-endian header length, JSON header, data). */
    static Map<String, Tensor> safetensors(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength <= 0 || 8 + headerLength > all.length) {
            throw new IllegalArgumentException(file + ": not a safetensors file");
        }
        JsonObject header = JsonParser.parseString(new String(all, 8, (int) headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        int base = 8 + (int) headerLength;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            List<Long> shape = new ArrayList<>();
            t.getAsJsonArray("shape").forEach(d -> shape.add(d.getAsLong()));
            long begin = t.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = t.getAsJsonArray("data_offsets").get(1).getAsLong();
            out.put(e.getKey(), new Tensor(t.get("dtype").getAsString(), shape,
                    Arrays.copyOfRange(all, base + (int) begin, base + (int) end)));
        }
        return out;
    }

    /** Null when both files hold the same tensors (names, dtypes, shapes, bytes); else the first difference. */
    static String compareTensors(Path expected, Path actual) {
        Map<String, Tensor> a = safetensors(expected);
        Map<String, Tensor> b = safetensors(actual);
        if (!a.keySet().equals(b.keySet())) {
            return actual + ": tensor names differ from " + expected;
        }
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor x = e.getValue();
            Tensor y = b.get(e.getKey());
            if (!x.dtype().equals(y.dtype()) || !x.shape().equals(y.shape())) {
                return actual + ": tensor " + e.getKey() + " is " + y.dtype() + y.shape() + ", expected "
                        + x.dtype() + x.shape();
            }
            if (!Arrays.equals(x.data(), y.data())) {
                return actual + ": tensor " + e.getKey() + " differs from " + expected + " (bitwise)";
            }
        }
        return null;
    }

    /** Number of NaN or infinite values in the float32 tensors of a safetensors file. */
    static long nonFinite(Path file) {
        long bad = 0;
        for (Tensor t : safetensors(file).values()) {
            if (!t.dtype().equals("F32")) {
                continue;
            }
            ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
            while (b.remaining() >= 4) {
                if (!Float.isFinite(b.getFloat())) {
                    bad++;
                }
            }
        }
        return bad;
    }
}
