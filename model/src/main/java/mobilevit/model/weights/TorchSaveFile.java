package mobilevit.model.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads the tensors of a {@code torch.save} file (PyTorch 1.6 and later: a zip archive holding
 * {@code <name>/data.pkl} and one raw little-endian file per storage, {@code <name>/data/<key>}),
 * as {@code torch.load(weights_only=True)} does: the pickle goes through {@link Unpickler}, which
 * only rebuilds tensors, storages and plain containers. A CVNets training checkpoint's state dict
 * is taken from under {@code model_state_dict} or {@code state_dict}. Nothing of the file is ever
 * executed; anything outside that subset is refused with one line naming it. bfloat16 and int16
 * tensors are read as float32 and int32 (see {@link Tensors}).
 */
public final class TorchSaveFile {

    private static final Pattern STORAGE_KEY = Pattern.compile("[A-Za-z0-9_]+");
    private static final List<String> WRAPPER_KEYS = List.of("model_state_dict", "state_dict");
    private static final int MAX_PICKLE_BYTES = 1 << 30;

    private TorchSaveFile() {}

    /** True when {@code head}, a file's first bytes, start like a zip archive. */
    public static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    /**
     * True when {@code head}, a file's first 8 bytes, start like a legacy {@code torch.save} file: a
     * pickle whose first value is PyTorch's magic number 0x1950a86a20f9469cfc6c.
     */
    public static boolean isLegacy(byte[] head) {
        byte[] magic = {(byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46};
        return head.length >= 8 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5
                && java.util.Arrays.equals(head, 2, 8, magic, 0, 6);
    }

    /**
     * Every tensor of the file's state dict, named by its key, in {@code manager}.
     *
     * @throws IllegalArgumentException with one line naming the file and what is wrong or refused
     */
    public static NDList read(Path file, NDManager manager) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return read(zip, manager);
        } catch (ZipException e) {
            throw new IllegalArgumentException(file + " is not a readable torch.save zip archive (" + e.getMessage()
                    + "; the file may be cut short)");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read weights file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is refused: " + e.getMessage());
        }
    }

    /** The legacy-format refusal, with the conversion to run. */
    public static IllegalArgumentException legacyFormat(Path file) {
        return new IllegalArgumentException(file + " is a legacy torch.save file (a bare pickle, before PyTorch 1.6),"
                + " which is not read here; convert it with PyTorch: python3 -c \"import torch; torch.save(torch.load('"
                + file + "', weights_only=True), 'converted.pt')\"");
    }

    private static NDList read(ZipFile zip, NDManager manager) throws IOException {
        String prefix = archivePrefix(zip);
        ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
        if (byteOrder != null) {
            String order = new String(bytes(zip, byteOrder, 16), StandardCharsets.US_ASCII).strip();
            if (!order.equals("little")) {
                throw new IllegalArgumentException("its storages are " + order + "-endian; only little-endian is read");
            }
        }
        ZipEntry pickle = zip.getEntry(prefix + "data.pkl");
        if (pickle.getSize() > MAX_PICKLE_BYTES) {
            throw new IllegalArgumentException("data.pkl has " + pickle.getSize() + " bytes, more than a state dict's");
        }
        Object root = new Unpickler(bytes(zip, pickle, MAX_PICKLE_BYTES), TorchSaveFile::storage).load();
        Map<?, ?> stateDict = stateDict(root);
        Map<String, byte[]> storages = new HashMap<>();
        NDList out = new NDList();
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new IllegalArgumentException("the state dict has a key that is a " + Unpickler.typeName(e.getKey())
                        + ", not a str");
            }
            if (!(e.getValue() instanceof TensorRef t)) {
                throw new IllegalArgumentException("'" + name + "' in the state dict is a "
                        + Unpickler.typeName(e.getValue()) + ", not a tensor");
            }
            byte[] storage = storages.get(t.storage().key());
            if (storage == null) {
                storage = storageBytes(zip, prefix, t.storage());
                storages.put(t.storage().key(), storage);
            }
            out.add(tensor(manager, name, t, storage));
        }
        return out;
    }

    /** The one top-level folder every entry is under; refuses entries that would leave the archive. */
    private static String archivePrefix(ZipFile zip) {
        String prefix = null;
        List<String> pickles = new ArrayList<>();
        boolean torchScript = false;
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            if (name.startsWith("/") || name.contains("\\") || name.contains(":")
                    || List.of(name.split("/", -1)).stream().anyMatch(p -> p.equals("..") || p.equals("."))) {
                throw new IllegalArgumentException("it holds an entry named '" + name
                        + "', a path that leads outside the archive (zip slip)");
            }
            String[] parts = name.split("/", 3);
            if (parts.length == 2 && parts[1].equals("data.pkl")) {
                pickles.add(name);
                prefix = parts[0] + "/";
            }
            torchScript |= parts.length == 2 && parts[1].equals("constants.pkl");
        }
        if (torchScript) {
            throw new IllegalArgumentException("it is a TorchScript archive (torch.jit.save), not a torch.save of a"
                    + " state dict; save the model's state_dict() with torch.save instead");
        }
        if (pickles.size() != 1) {
            throw new IllegalArgumentException(pickles.isEmpty() ? "it holds no <name>/data.pkl, so it is not a"
                    + " torch.save archive" : "it holds " + pickles.size() + " data.pkl files " + pickles);
        }
        return prefix;
    }

    /** The persistent id of a storage: {@code ('storage', torch.FloatStorage, key, location, numel)}. */
    private static StorageRef storage(PyTuple id) {
        if (id.size() != 5 || !"storage".equals(id.get(0)) || !(id.get(1) instanceof StorageType type)
                || !(id.get(2) instanceof String key) || !(id.get(3) instanceof String)
                || !(id.get(4) instanceof Long numel) || numel < 0) {
            throw new IllegalArgumentException("a persistent id is not ('storage', torch.<type>Storage, key,"
                    + " location, size) but has " + id.size() + " items");
        }
        if (!STORAGE_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("a storage key is '" + key + "', not a plain name (a path outside"
                    + " the archive's data/ folder)");
        }
        return new StorageRef(type, key, numel);
    }

    private static byte[] storageBytes(ZipFile zip, String prefix, StorageRef s) throws IOException {
        String name = prefix + "data/" + s.key();
        ZipEntry entry = zip.getEntry(name);
        if (entry == null) {
            throw new IllegalArgumentException("storage data/" + s.key() + " is missing from the archive");
        }
        long needed;
        try {
            needed = Math.multiplyExact(s.numel(), (long) s.type().elementBytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("storage data/" + s.key() + " claims " + s.numel() + " elements");
        }
        if (needed > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage data/" + s.key() + " has " + needed
                    + " bytes; storages of more than 2 GiB are not supported");
        }
        byte[] b = bytes(zip, entry, (int) needed + 1);
        if (b.length != needed) {
            throw new IllegalArgumentException("storage data/" + s.key() + " holds " + (b.length > needed ? "more than "
                    + needed : b.length) + " bytes, but its " + s.numel() + " " + s.type().dtype
                    + " elements are " + needed + " bytes" + (b.length < needed ? " (the file is truncated)" : ""));
        }
        return b;
    }

    /** At most {@code limit} bytes of an entry. */
    private static byte[] bytes(ZipFile zip, ZipEntry entry, int limit) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readNBytes(limit);
        }
    }

    /** The state dict: the root dict, or the one under a CVNets checkpoint's wrapper key. */
    private static Map<?, ?> stateDict(Object root) {
        if (!(root instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("it holds a " + Unpickler.typeName(root) + ", not a dict of tensors");
        }
        for (String key : WRAPPER_KEYS) {
            if (dict.get(key) instanceof Map<?, ?> inner) {
                return inner;
            }
        }
        return dict;
    }

    private static NDArray tensor(NDManager manager, String name, TensorRef t, byte[] storage) {
        return Tensors.create(manager, name, t.contiguous(name, storage), t.size(), t.storage().type().dataType);
    }
}
