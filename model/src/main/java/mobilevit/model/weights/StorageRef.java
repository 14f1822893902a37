package mobilevit.model.weights;

/** A persistent id of a {@code torch.save} pickle: storage {@code data/<key>} of the archive, {@code numel} elements. */
record StorageRef(StorageType type, String key, long numel) {}
