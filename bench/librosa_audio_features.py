"""librosa side of `npm run bench -- audio-features`: the same windows of the same audio, timed on one thread.

    python3 bench/librosa_audio_features.py REQUEST.json

REQUEST.json (written by bench/audio-features.ts): {"pcm": path of raw little-endian int16 mono PCM,
"repeats": n, "excerptSeconds": s, "featuresOut": directory, "configs": [{"label", "settings"}]}, where
settings are streamlens' parsed audio feature settings. Prints one JSON document on stdout.

What is timed, per config, is the cheapest librosa code that gives streamlens' windows exactly: the
features once over the whole stream (melspectrogram, power_to_db, mfcc, delta, rms, zero_crossing_rate,
all center=False), then per window a slice whose first / last floor(width/2) delta rows repeat the
nearest centred row (what librosa.feature.delta's 'interp' edges give on the window alone) and the
per-window normalisation in numpy. Voice activity (streamlens only) is not part of it. Audio is float32
as librosa.load returns it. One untimed float64 run over the first `excerptSeconds` writes its windows
(float32, row-major [window][frame][feature]) to featuresOut/<index>.f32 for the exactness check.
"""
import os

# one thread everywhere, set before numpy / numba load
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[var] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402


def frame_features(y, s):
    """[features][frames] in streamlens row order (spectral, deltas, rms, zcr), and the delta rows."""
    n_fft, hop, win = s["nFft"], s["hopLength"], s["frameLength"]
    mel = librosa.feature.melspectrogram(
        y=y, sr=s["sampleRate"], n_fft=n_fft, hop_length=hop, win_length=win, window=s["window"], center=False,
        power=float(s["power"]), n_mels=s["nMels"], fmin=s["fMin"], fmax=s["fMax"], htk=s["melScale"] == "htk",
        norm=s["melNorm"],
    )
    log_mel = librosa.power_to_db(mel, ref=s["ref"], amin=s["amin"], top_db=None)
    f = s["features"]
    spectral = []
    if f["logMel"]:
        spectral.append(log_mel)
    if f["mfcc"]:
        spectral.append(librosa.feature.mfcc(S=log_mel, n_mfcc=s["nMfcc"], dct_type=2, norm="ortho", lifter=s["lifter"]))
    spectral = np.vstack(spectral)
    blocks = [spectral]
    for order in range(1, s["deltaOrder"] + 1):
        blocks.append(librosa.feature.delta(spectral, width=s["deltaWidth"], order=order, mode="interp"))
    n_frames = spectral.shape[1]
    # streamlens analyses the frameLength samples the window covers, centred in each n_fft frame
    offset = (n_fft - win) // 2
    if f["rms"]:
        blocks.append(librosa.feature.rms(y=y[offset:], frame_length=win, hop_length=hop, center=False)[:, :n_frames])
    if f["zcr"]:
        blocks.append(librosa.feature.zero_crossing_rate(y[offset:], frame_length=win, hop_length=hop, center=False)[:, :n_frames])
    width = spectral.shape[0]
    return np.vstack(blocks), slice(width, width * (1 + s["deltaOrder"]))


def windows(feats, delta_rows, s):
    """streamlens' windows (every hop, then one end-aligned final window) as float32 [frames][features]."""
    sr, hop = s["sampleRate"], s["hopLength"]
    per_window = round(s["windowSeconds"] * sr / hop)
    step = round(s["windowHopSeconds"] * sr / hop)
    half = (s["deltaWidth"] - 1) // 2 if s["deltaOrder"] > 0 else 0
    n_frames = feats.shape[1]
    starts = list(range(0, n_frames - per_window + 1, step))
    if starts and starts[-1] + per_window < n_frames:
        starts.append(n_frames - per_window)
    norm = s["normalization"]
    out = []
    for start in starts:
        x = feats[:, start:start + per_window].copy()
        if half:
            x[delta_rows, :half] = x[delta_rows, half:half + 1]
            x[delta_rows, -half:] = x[delta_rows, per_window - 1 - half:per_window - half]
        if norm["kind"] == "perWindowCmvn":
            x -= x.mean(axis=1, keepdims=True)
            if norm["variance"]:
                x /= np.maximum(x.std(axis=1, keepdims=True), norm["minStd"])
        elif norm["kind"] == "global":
            x = (x - np.asarray(norm["mean"])[:, None]) / np.asarray(norm["std"])[:, None]
        out.append(x.T.astype(np.float32))
    return out


def main():
    request = json.load(open(sys.argv[1]))
    pcm = np.fromfile(request["pcm"], dtype="<i2")
    seconds = len(pcm) / 16000
    y32 = (pcm / 32768.0).astype(np.float32)
    results = []
    for i, config in enumerate(request["configs"]):
        s = config["settings"]
        run = lambda: windows(*frame_features(y32, s), s)  # noqa: E731
        run()  # warm-up (numba compiles on first use)
        best_cpu = best_wall = float("inf")
        for _ in range(request["repeats"]):
            c0, w0 = time.process_time(), time.perf_counter()
            count = len(run())
            best_cpu = min(best_cpu, time.process_time() - c0)
            best_wall = min(best_wall, time.perf_counter() - w0)
        excerpt = pcm[: int(request["excerptSeconds"] * s["sampleRate"])] / 32768.0
        np.concatenate(windows(*frame_features(excerpt, s), s)).tofile(os.path.join(request["featuresOut"], f"{i}.f32"))
        results.append({
            "config": config["label"],
            "windows": count,
            "cpuMs": round(best_cpu * 1000, 1),
            "wallMs": round(best_wall * 1000, 1),
            "xRealTimeCpu": round(seconds / best_cpu, 1),
            "xRealTimeWall": round(seconds / best_wall, 1),
        })
    print(json.dumps({
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "threads": 1,
        "results": results,
    }))


if __name__ == "__main__":
    main()
