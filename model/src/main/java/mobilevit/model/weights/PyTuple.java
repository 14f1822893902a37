package mobilevit.model.weights;

import java.util.List;

/** A Python tuple as the unpickler builds it (lists are {@code ArrayList}s, dicts {@code LinkedHashMap}s). */
record PyTuple(List<Object> items) {

    PyTuple {
        items = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items));
    }

    int size() {
        return items.size();
    }

    Object get(int i) {
        return items.get(i);
    }
}
