package mobilevit.model.weights;

/** The callables a weights-only pickle may name and call (besides the storage types, which are never called). */
enum TorchGlobal {
    ORDERED_DICT("collections", "OrderedDict"),
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
    REBUILD_PARAMETER("torch._utils", "_rebuild_parameter");

    final String module;
    final String name;

    TorchGlobal(String module, String name) {
        this.module = module;
        this.name = name;
    }

    /** The allowed global {@code module.name}, or null. */
    static TorchGlobal of(String module, String name) {
        for (TorchGlobal g : values()) {
            if (g.module.equals(module) && g.name.equals(name)) {
                return g;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return module + "." + name;
    }
}
