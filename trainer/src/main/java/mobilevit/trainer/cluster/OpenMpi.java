package mobilevit.trainer.cluster;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The few calls of Open MPI's C API ({@code libmpi.so.40}, Open MPI 4.x and 5.x) the trainer uses,
 * through JNA. Open MPI's predefined handles ({@code MPI_COMM_WORLD}, {@code MPI_FLOAT},
 * {@code MPI_SUM}, ...) are the addresses of global objects ({@code ompi_mpi_comm_world}, ...), so
 * no C header is needed. The library is opened with {@code RTLD_GLOBAL}: Open MPI's plugins, loaded
 * later, resolve their symbols against it. Errors end the job (MPI's default handler).
 */
final class OpenMpi {

    /** The library asked for; {@code MOBILEVIT_MPI_LIBRARY} names another (a path or a soname). */
    static final String DEFAULT_LIBRARY = "libmpi.so.40";
    private static final int RTLD_NOW = 2;
    private static final int RTLD_GLOBAL = 0x100;
    private static final int MPI_THREAD_MULTIPLE = 3;
    /** Open MPI's {@code MPI_IN_PLACE}: {@code (void *) 1}. */
    private static final Pointer IN_PLACE = new Pointer(1);

    private final NativeLibrary lib;
    final Pointer commWorld;
    final Pointer floatType;
    final Pointer doubleType;
    final Pointer longType;
    final Pointer intType;
    final Pointer sumOp;
    final Pointer maxOp;

    private OpenMpi(NativeLibrary lib) {
        this.lib = lib;
        commWorld = lib.getGlobalVariableAddress("ompi_mpi_comm_world");
        floatType = lib.getGlobalVariableAddress("ompi_mpi_float");
        doubleType = lib.getGlobalVariableAddress("ompi_mpi_double");
        longType = lib.getGlobalVariableAddress("ompi_mpi_long");
        intType = lib.getGlobalVariableAddress("ompi_mpi_int");
        sumOp = lib.getGlobalVariableAddress("ompi_mpi_op_sum");
        maxOp = lib.getGlobalVariableAddress("ompi_mpi_op_max");
    }

    /**
     * Opens the library.
     *
     * @throws IllegalStateException with one line naming the library when it cannot be loaded
     */
    static OpenMpi load(String name) {
        try {
            return new OpenMpi(NativeLibrary.getInstance(name, Map.of(Library.OPTION_OPEN_FLAGS,
                    RTLD_NOW | RTLD_GLOBAL)));
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load Open MPI's " + name + " (install openmpi-bin and libopenmpi-dev,"
                    + " or set MOBILEVIT_MPI_LIBRARY): " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the watchdog aborts from its own thread). */
    void init() {
        IntByReference provided = new IntByReference();
        call("MPI_Init_thread", Pointer.NULL, Pointer.NULL, MPI_THREAD_MULTIPLE, provided);
    }

    int rank() {
        IntByReference r = new IntByReference();
        call("MPI_Comm_rank", commWorld, r);
        return r.getValue();
    }

    int size() {
        IntByReference r = new IntByReference();
        call("MPI_Comm_size", commWorld, r);
        return r.getValue();
    }

    /** In-place all-reduce of {@code count} values of {@code type} in a direct buffer. */
    void allreduce(ByteBuffer buffer, int count, Pointer type, Pointer op) {
        call("MPI_Allreduce", IN_PLACE, Native.getDirectBufferPointer(buffer), count, type, op, commWorld);
    }

    void allgather(ByteBuffer send, ByteBuffer receive, int count, Pointer type) {
        call("MPI_Allgather", Native.getDirectBufferPointer(send), count, type, Native.getDirectBufferPointer(receive),
                count, type, commWorld);
    }

    void broadcast(ByteBuffer buffer, int count, Pointer type, int root) {
        call("MPI_Bcast", Native.getDirectBufferPointer(buffer), count, type, root, commWorld);
    }

    /** Ends every process of the job with {@code code}. */
    void abort(int code) {
        call("MPI_Abort", commWorld, code);
    }

    void finalizeMpi() {
        call("MPI_Finalize");
    }

    private void call(String function, Object... args) {
        Function f = lib.getFunction(function);
        int rc = f.invokeInt(args);
        if (rc != 0) {
            throw new IllegalStateException(function + " failed with MPI error code " + rc);
        }
    }
}
