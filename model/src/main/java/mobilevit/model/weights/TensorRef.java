package mobilevit.model.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)} rebuilds: a
 * view of a storage, {@code size[i]} elements along dimension i, {@code stride[i]} storage elements
 * apart, starting at element {@code offset}. Several tensors may view one storage.
 */
record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {

    /** Elements of the view; throws when they overflow a long. */
    long numel() {
        long n = 1;
        for (long d : size) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * The view's elements in row-major order, little-endian, copied out of the storage's bytes.
     *
     * @param name the tensor's key, for the error message
     * @throws IllegalArgumentException when the view reaches outside the storage
     */
    ByteBuffer contiguous(String name, byte[] storageBytes) {
        int element = storage.type().elementBytes();
        long numel;
        long last = offset;
        try {
            numel = numel();
            for (int i = 0; i < size.length; i++) {
                last = Math.addExact(last, Math.multiplyExact(Math.max(0, size[i] - 1), stride[i]));
            }
            Math.multiplyExact(numel, (long) element);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' of size " + Arrays.toString(size)
                    + " and stride " + Arrays.toString(stride) + " is too large");
        }
        if (numel > 0 && last >= storage.numel()) {
            throw new IllegalArgumentException("tensor '" + name + "' (offset " + offset + ", size "
                    + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + ") reaches element " + last
                    + " of storage data/" + storage.key() + ", which has " + storage.numel());
        }
        if (numel * element > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + numel + " elements; tensors of"
                    + " more than 2 GiB are not supported");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) (numel * element)).order(ByteOrder.LITTLE_ENDIAN);
        if (numel == 0) {
            return out;
        }
        if (isContiguous()) {
            out.put(storageBytes, (int) (offset * element), (int) (numel * element));
        } else {
            copyStrided(storageBytes, element, out);
        }
        return out.flip();
    }

    private boolean isContiguous() {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= size[i];
        }
        return true;
    }

    /** Walks the indices in row-major order, the last dimension fastest. */
    private void copyStrided(byte[] storageBytes, int element, ByteBuffer out) {
        int dims = size.length;
        long[] index = new long[dims];
        long position = offset;
        while (true) {
            out.put(storageBytes, (int) (position * element), element);
            int d = dims - 1;
            while (d >= 0 && index[d] == size[d] - 1) {
                position -= index[d] * stride[d];
                index[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
            index[d]++;
            position += stride[d];
        }
    }
}
