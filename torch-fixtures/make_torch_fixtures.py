#!/usr/bin/env python3
"""Writes the torch.save test files of this folder with PyTorch itself.

    python3 torch-fixtures/make_torch_fixtures.py      # Debian: apt-get install python3-torch

Files a reader must accept (tensor values in expected.json):
  tiny_f32.pt          state_dict() of a small Conv/BatchNorm/Linear nn.Sequential (float32, int64 counter)
  tiny_f16.pt          the same module after .half()
  views.pt             slices, a transpose, a strided view and a 0-d element of one shared float32 storage
  dtypes.pt            float64, bfloat16, int64, int32, int16, int8, uint8 and bool tensors, an empty one
  cvnets_checkpoint.pt CVNets' training checkpoint dict: model_state_dict, optim_state_dict (Adam), epoch...
  wrapped_state_dict.pt {"state_dict": ..., "arch": ...}
  protocol4.pt         tiny_f32's state dict with pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL)
  with --xxs-weights DIR, only these two, into DIR (the tests make them there, in target/):
  xx_small_hf.bin      ../fixtures/weights/xx_small_hf.safetensors as torch.save (Hugging Face names)
  xx_small_cvnets.pt   ../fixtures/weights/xx_small_cvnets.safetensors wrapped as a CVNets checkpoint
Files a reader must refuse (checked here: torch.load(weights_only=True) refuses the pickles too):
  evil_os_system.pt, evil_posix_system.pt, evil_builtins_eval.pt  run `touch MARKER` when loaded
                       (checked here: torch.load(weights_only=False) in a child process creates MARKER)
  evil_reduce_storage.pt  REDUCE calling torch.FloatStorage, a global that is allowed but not callable
  truncated_storage.pt tiny_f32.pt with its first storage cut to half its length
  zip_slip.pt          tiny_f32.pt plus an entry named ../../mobilevit-zip-slip.txt
  storage_key_escape.pt  a persistent id whose storage key is ../../../etc/passwd
  legacy.pt            tiny_f32's state dict saved with _use_new_zipfile_serialization=False
"""
import collections
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "..", "fixtures", "weights")
MARKER = "/tmp/mobilevit-torch-fixture-executed"
TOUCH = "touch " + MARKER


def out(name):
    return os.path.join(HERE, name)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def tiny_module():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
        net[1].num_batches_tracked.fill_(7)
    return net


def describe(tensors):
    """name -> dtype, shape and the values in row-major order (exact for every dtype used)."""
    result = collections.OrderedDict()
    for name, t in tensors.items():
        values = t.detach().to(torch.float64 if t.is_floating_point() else torch.int64).reshape(-1).tolist()
        if t.dtype == torch.bool:
            values = [int(v) for v in values]
        result[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": values}
    return result


def write_entry(z, name, data):
    z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)  # fixed time: same bytes every run


def torch_zip(path, pickle_bytes, storages=None):
    """A zip in torch.save's layout holding a hand-written data.pkl."""
    prefix = os.path.splitext(os.path.basename(path))[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        write_entry(z, prefix + "/data.pkl", pickle_bytes)
        for key, data in (storages or {}).items():
            write_entry(z, prefix + "/data/" + key, data)
        write_entry(z, prefix + "/version", b"3\n")


def rewrite_zip(source, target, change):
    """Copies a zip entry by entry; change(name, data) returns (name, data) or a list of them."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            for name, data in change(info.filename, src.read(info.filename)):
                write_entry(dst, name, data)


def unicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def executes_when_loaded(path):
    """True if torch.load(weights_only=False), PyTorch's unrestricted pickle, runs the file's command."""
    if os.path.exists(MARKER):
        os.remove(MARKER)
    code = ("import sys, torch\n"
            "try: torch.load(sys.argv[1], weights_only=False)\n"
            "except Exception: pass\n")
    subprocess.run([sys.executable, "-c", code, path], check=True)
    ran = os.path.exists(MARKER)
    if ran:
        os.remove(MARKER)
    return ran


def refused_by_torch(path):
    try:
        torch.load(path, weights_only=True)
    except Exception:  # torch's weights-only unpickler raises UnpicklingError or RuntimeError
        return True
    return False


class PosixSystem:
    def __reduce__(self):
        return os.system, (TOUCH,)


class BuiltinsEval:
    def __reduce__(self):
        return eval, ("__import__('os').system(%r)" % TOUCH,)


def main():
    expected = collections.OrderedDict()
    net = tiny_module()
    tiny = net.state_dict()
    torch.save(tiny, out("tiny_f32.pt"))
    expected["tiny_f32.pt"] = describe(tiny)

    half = tiny_module().half().state_dict()
    torch.save(half, out("tiny_f16.pt"))
    expected["tiny_f16.pt"] = describe(half)

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    views = collections.OrderedDict([("base", base), ("rows", base[1:3]), ("transposed", base.t()),
                                     ("column", base[:, 2]), ("strided", base[::2, 1::2]),
                                     ("element", base[3, 5])])
    assert all(v.untyped_storage().data_ptr() == base.untyped_storage().data_ptr() for v in views.values()) \
        if hasattr(base, "untyped_storage") else all(v.storage().data_ptr() == base.storage().data_ptr()
                                                     for v in views.values())
    torch.save(views, out("views.pt"))
    expected["views.pt"] = describe(views)

    dtypes = collections.OrderedDict([
        ("f64", torch.tensor([1.5, -2.25, 1e300], dtype=torch.float64)),
        ("bf16", torch.tensor([1.0, -0.5, 3.0], dtype=torch.bfloat16)),
        ("i64", torch.tensor([[1, -2], [2 ** 40, -(2 ** 62)]], dtype=torch.int64)),
        ("i32", torch.tensor([7, -8], dtype=torch.int32)),
        ("i16", torch.tensor([300, -300], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("u8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("empty", torch.zeros(0, 3)),
    ])
    torch.save(dtypes, out("dtypes.pt"))
    expected["dtypes.pt"] = describe(dtypes)

    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    net(torch.rand(2, 3, 3, 3)).sum().backward()
    optimizer.step()
    trained = net.state_dict()
    torch.save({"epoch": 3, "iterations": 120, "model_state_dict": trained,
                "optim_state_dict": optimizer.state_dict(), "best_metric": 41.5}, out("cvnets_checkpoint.pt"))
    expected["cvnets_checkpoint.pt"] = describe(trained)
    torch.save({"state_dict": tiny, "arch": "tiny"}, out("wrapped_state_dict.pt"))
    expected["wrapped_state_dict.pt"] = describe(tiny)
    torch.save(tiny, out("protocol4.pt"), pickle_protocol=4)
    expected["protocol4.pt"] = describe(tiny)


    with open(out("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")

    # --- files that must be refused ---
    # c os\nsystem, the string, TUPLE1, REDUCE: os.system("touch MARKER")
    torch_zip(out("evil_os_system.pt"), b"\x80\x02cos\nsystem\n" + unicode(TOUCH) + b"\x85R.")
    # torch.save pickles os.system under its real module, posix
    torch.save({"weight": torch.ones(2), "payload": PosixSystem()}, out("evil_posix_system.pt"))
    # protocol 4 writes builtins.eval (protocol 2 would write __builtin__.eval)
    torch.save({"weight": torch.ones(2), "payload": BuiltinsEval()}, out("evil_builtins_eval.pt"), pickle_protocol=4)
    for name in ("evil_os_system.pt", "evil_posix_system.pt", "evil_builtins_eval.pt"):
        assert executes_when_loaded(out(name)), name + " does not run its command under plain pickle"
    # REDUCE on torch.FloatStorage: a global weights_only allows (for persistent ids) but never calls
    torch_zip(out("evil_reduce_storage.pt"), b"\x80\x02ctorch\nFloatStorage\n" + unicode(TOUCH) + b"\x85R.")

    rewrite_zip(out("tiny_f32.pt"), out("truncated_storage.pt"),
                lambda n, d: [(n.replace("tiny_f32/", "truncated_storage/"),
                               d[:len(d) // 2] if n.endswith("/data/0") else d)])
    rewrite_zip(out("tiny_f32.pt"), out("zip_slip.pt"),
                lambda n, d: [(n.replace("tiny_f32/", "zip_slip/"), d)]
                + ([("../../mobilevit-zip-slip.txt", b"escaped")] if n.endswith("/version") else []))
    # {"w": _rebuild_tensor_v2(persistent_load(("storage", FloatStorage, "../../../etc/passwd", "cpu", 1)), ...)}
    escape = (b"\x80\x02}" + unicode("w") + b"ctorch._utils\n_rebuild_tensor_v2\n("
              + b"(" + unicode("storage") + b"ctorch\nFloatStorage\n" + unicode("../../../etc/passwd")
              + unicode("cpu") + b"K\x01tQ" + b"K\x00K\x01\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rt" + b"Rs.")
    torch_zip(out("storage_key_escape.pt"), escape, {"0": struct.pack("<f", 1.0)})
    torch.save(tiny, out("legacy.pt"), _use_new_zipfile_serialization=False)

    for name in ("evil_os_system.pt", "evil_posix_system.pt", "evil_builtins_eval.pt", "evil_reduce_storage.pt",
                 "storage_key_escape.pt"):  # torch 1.13 loads truncated_storage.pt without a word
        assert refused_by_torch(out(name)), name + " is accepted by torch.load(weights_only=True)"
    for name, tensors in expected.items():  # round trip (weights_only=False: torch 1.13 lacks BINFLOAT there)
        loaded = torch.load(out(name), weights_only=False)
        assert describe(loaded.get("model_state_dict", loaded.get("state_dict", loaded))) == tensors, name
    print("wrote", len(expected) + 2, "readable and 8 refusable files in", HERE, "with torch", torch.__version__)


def xxs_weights(directory):
    """The MobileViT-XXS fixture weights as torch.save files (10 MB, so made when the tests need them,
    not kept in the repository: it travels to the GPU machine, whose limit is 64 MiB)."""
    os.makedirs(directory, exist_ok=True)
    part = os.path.join(directory, "partial")  # renamed when whole (torch.save names the archive after it)
    torch.save(read_safetensors(os.path.join(WEIGHTS, "xx_small_hf.safetensors")), part)
    os.replace(part, os.path.join(directory, "xx_small_hf.bin"))
    torch.save({"epoch": 300, "model_state_dict": read_safetensors(os.path.join(WEIGHTS, "xx_small_cvnets.safetensors"))},
               part)
    os.replace(part, os.path.join(directory, "xx_small_cvnets.pt"))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--xxs-weights":
        xxs_weights(sys.argv[2])
    else:
        main()
