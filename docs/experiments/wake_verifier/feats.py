import numpy as np
from glasses.speech.whisper_backend import WhisperDictation, WhisperSettings
RATE = 16000
_dec = None
def model():
    global _dec
    if _dec is None:
        _dec = WhisperDictation(WhisperSettings()).decoder
    return _dec.model
def feature(audio, t, pre=1.5, post=0.2, pad=0.5):
    """audio int16, firing at t seconds. Returns pooled Whisper encoder states."""
    m = model()
    a = max(0, int((t - pre) * RATE)); b = int((t + post) * RATE)
    x = np.asarray(audio[a:b], np.float32) / 32768.0
    x = np.concatenate([np.zeros(int(pre * RATE) - (int(t * RATE) - a), np.float32), x]) if int(t*RATE) - a < int(pre*RATE) else x
    f = m.feature_extractor(x)
    n = f.shape[1]
    frames = n + int(pad * 100)
    f = np.pad(f, ((0, 0), (0, frames - n)))
    enc = np.array(m.encode(f))[0]  # (frames/2, 512)
    k = n // 2
    e = enc[:k]
    last = enc[max(0, k - 25):k]
    return np.concatenate([e.mean(0), e.max(0), last.mean(0)]).astype(np.float32)
