package mobilevit.model;

import ai.djl.ndarray.NDArray;

/** Receives named intermediate tensors of a forward (for parity checks and {@code info}). */
@FunctionalInterface
public interface StageRecorder {

    /** Records nothing. */
    StageRecorder NONE = (name, value) -> { };

    void record(String name, NDArray value);
}
