"""Acoustic echo cancellation: take the glasses' own speech out of what the microphone hears.

The speaker plays the assistant's speech (the *far end*, or *reference* ``x``); the microphone
hears it back delayed, attenuated and coloured by the frame and the wearer's head (the *echo*),
mixed with the wearer's voice (the *near end*) and noise: ``d = h * x + s + n``.
``EchoCanceller`` learns the echo path ``h`` as an adaptive FIR filter and subtracts its estimate
of the echo, so the wake spotter, the VAD and the recogniser hear ``s + n`` (plus a residual
echo) and the wearer can interrupt the assistant (barge-in) without the runtime waking on its
own voice. ``ReferenceBuffer`` keeps what the speaker played on the runtime clock, so the stage
that runs the canceller can hand it the reference of each microphone block.

Algorithm: a partitioned-block frequency-domain adaptive filter (PBFDAF, or multidelay filter,
MDF: Soo & Pang 1990) in the manner of speexdsp's ``mdf.c``, written afresh in numpy. Ours
because no kept Python binding cancels echo (issue 15): webrtc-noise-gain wraps only WebRTC's
noise suppression and gain, PyPI's speexdsp and webrtc-audio-processing bindings were last
released in 2018 and 2019, and speexdsp-aec is a new ctypes wrapper with a single release.

* The filter of ``L`` taps is cut into ``M = ceil(L / P)`` partitions of ``P`` samples
  (``partition``, default 256 = 16 ms, so each 512-sample block runs two steps). Each step
  takes FFTs of ``2P`` (overlap-save): the echo estimate is ``Y = Σ_k X_k·W_k``, the reference
  spectrum of each past partition times that partition's weights.
* Normalised step per bin: the gradient ``conj(X_k)·E`` is divided by the bin's reference power
  summed over the partitions, regularised by a tenth of the mean over all bins (a bin far
  quieter than the rest would otherwise take huge steps on the noise in it and spoil the filter
  for when it gets loud). Partitions that hold more of the echo path get a larger share of the
  step (proportionate update: the first partitions are empty while the sound travels). The
  gradient is constrained to a causal ``P``-tap correction per partition (inverse FFT, zero the
  second half, FFT) at every step.
* Double talk: the step of each bin follows Valin (2007, "On adjusting the learning rate in
  frequency domain echo cancellation with double-talk"): ``μ(f) ≈ η·|Ŷ(f)|² / |E(f)|²``, the
  share of the error that is residual echo, where the leakage ``η`` (the fraction of the echo
  estimate the filter still misses) is tracked by regressing the error spectrum's fluctuations
  on the echo estimate's. When the wearer talks, ``|E|²`` holds their voice and ``μ`` falls by
  itself. A detector on top (the output exceeds the expected residual echo plus noise by 9 dB:
  the ``double_talk`` flag) cuts the step tenfold for the next block. A second, *foreground*
  filter produces the output: it copies the adapting (*background*) filter only when that one
  has cancelled better for several steps (never during flagged double talk), and the
  background is put back to the foreground when it has become clearly worse (the two-path
  scheme of Ochiai et al. 1977, as speexdsp has it). Until ``η`` can be estimated, a bootstrap
  step ``0.5·min(1, Σx²/Σe²)`` is used (it assumes the echo is quieter than the played signal).
  If the filter makes loud blocks louder for 8 blocks running, the echo path has changed (the
  glasses moved, the volume changed) and the filter restarts from zero.

Units and invariants: audio is 16 kHz (``sample_rate``) mono int16 in and out, exactly
``block`` samples per call; internally float64 in full-scale units ([-1, 1)). The reference
block passed with a microphone block is what the speaker played during the *same* sample times;
its echo must arrive within ``filter_ms`` after it. A reference that runs late (behind the
microphone) cannot be cancelled. The output is the residual ``d - ŷ`` (int16, saturated), with
no added latency: no look-ahead, no buffering. The canceller is linear: loudspeaker distortion
leaves a residual that no linear filter removes, and no residual echo suppressor follows it.

Measured (tests/test_echo.py's scenario: two espeak sentences played at ≈ -22 dBFS, the echo
80 ms late, 9 dB down, through a 6-tap FIR, over white noise at -60 dBFS, which caps ERLE at
≈ 31 dB): ERLE 17.5 dB from 1 s to the end of the reply, 24.5 dB from 3 s, 27 dB over the
second sentence; 0.5 s windows reach 20 dB ≈ 3 s after the first sound. Until then the
residual is still speech-like (Silero VAD finds speech in it for the first ≈ 3.8 s, and one
other echo path tried gave a false "hey glasses" 1.9 s in): trust wake words and the VAD on
cancelled audio once ``erle_db`` is high, or keep a learnt filter from one reply to the next,
as this class does. Convergence is slower when the echo delay sits half-way between partition
boundaries (16·k + 8 ms with the default partition: a 120 ms delay gave ≈ 7 dB over seconds
1–5 and ≈ 22 dB after). A changed echo path is unlearnt and re-learnt in ≈ 4 s.

Cost per 512-sample block (defaults: 2 steps of ``M = 16`` partitions, 257 bins): per step,
5 real FFTs of 512 points (new reference, two filter outputs, error and echo spectra), ``2M``
more for the constrained gradient, and about ``6M`` complex multiply-adds per bin: ≈ 1 ms of one
core in numpy for a 32 ms block (``partition=512`` halves it, converging more slowly). When the
reference has been all zeros for the whole filter span, ``process`` returns the microphone
block unchanged in microseconds and keeps the learnt filter for the next utterance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glasses.devices.resample import TARGET_RATE

_FULL_SCALE = 32768.0
_NS_PER_S = 1_000_000_000
_MIN_LEAK = 0.005  # the leakage estimate never claims less than this (≈ 23 dB)
_MAX_STEP = 0.5  # default largest normalised step once adapted
_PARTITION = 256  # default partition (samples): 16 ms at 16 kHz, two filter steps per block
_GAIN = 2.0  # the error window [0, e] is half the FFT: the gradient comes out half-sized
_SPREAD = 0.1  # per-bin normaliser regularised by this share of the all-bin mean power
_PROP_FLOOR = 0.1  # every partition keeps at least this share of the largest one's weight
_BOOT_STEP = 0.5  # the bootstrap step, before the leakage can be estimated
_BOOT_MIN_POWER = 1e-6  # full-scale power per sample (-60 dBFS) below which the reference
# is too quiet to bootstrap on
_FLOOR_POWER = 1e-9  # full-scale power per sample (-90 dBFS): regularises the divisions
# Two-path decisions, on error energies smoothed over ≈ 2 (short) and ≈ 6 (long) steps.
_SHORT = 0.5
_LONG = 0.15
_COPY_SHORT = 10 ** (-3 / 10)  # background 3 dB better over the short average: copy it
_COPY_LONG = 10 ** (-1 / 10)  # or 1 dB better over the long average
_COPY_STEP = 10 ** (-0.2 / 10)  # a block where the background did better by 0.2 dB
_COPY_RUN = 3  # that many such blocks in a row: copy
_BACKTRACK_SHORT = 10 ** (12 / 10)  # background 12 dB worse (short average): reset it
_BACKTRACK_LONG = 10 ** (6 / 10)  # or 6 dB worse (long average)
_DOUBLE_TALK = 10 ** (9 / 10)  # output above the expected residual echo + noise by 9 dB
_DT_STEP = 0.1  # step factor for a block after one flagged as double talk
_LOUD = 10.0  # a block this much above the noise floor (10 dB) counts for the restart test
_RESTART_RUN = 8  # loud blocks in a row made louder by the filter: restart


@dataclass(frozen=True, slots=True)
class EchoStats:
    """Diagnostics after the last ``process`` call.

    ``erle_db``: echo return loss enhancement, 10·log10(microphone energy / output energy) over
    the last ≈ 0.5 s of blocks with a reference (0.0 when idle; it falls during double talk,
    since the wearer's voice is rightly kept). ``double_talk``: the output carries markedly more
    than the expected residual echo and noise while the speaker plays (the wearer talking, or
    the echo path changing). ``adapted``: the bootstrap phase is over. ``leak``: estimated
    fraction of the echo estimate's power the filter still misses (0.005..1). ``idle``: the last
    block took the cheap path (reference silent for the whole filter span). ``blocks``: blocks
    processed; ``foreground_updates`` / ``background_resets``: two-path decisions so far (per
    partition step); ``restarts``: times the filter was unlearnt after an echo path change.
    """

    erle_db: float
    double_talk: bool
    adapted: bool
    leak: float
    idle: bool
    blocks: int
    foreground_updates: int
    background_resets: int
    restarts: int


class EchoCanceller:
    """Frequency-domain adaptive echo canceller (see the module docstring).

    ``sample_rate`` in Hz (the runtime's is 16 000); ``block``: samples per ``process`` call
    (the microphone chunk, 512 = 32 ms); ``filter_ms``: the longest echo path covered, rounded
    up to whole partitions (256 ms → 16 partitions of 256 samples). ``partition``: samples per
    filter partition, a divisor of ``block`` of at least 16 (default 256 when it divides
    ``block``, else ``block``); each call runs ``block / partition`` filter updates: smaller
    converges faster on speech and costs more. ``max_step`` (0 < μ ≤ 1): the
    largest normalised step once adapted — larger tracks a changing echo path faster but
    leaves more misadjustment. Not thread-safe: one instance per microphone stream.
    """

    def __init__(
        self,
        sample_rate: int = TARGET_RATE,
        block: int = 512,
        filter_ms: float = 256.0,
        *,
        partition: int | None = None,
        max_step: float = _MAX_STEP,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        if block <= 0:
            raise ValueError(f"block must be > 0 samples, got {block}")
        if partition is None:
            partition = _PARTITION if block % _PARTITION == 0 else block
        if partition < 16 or block % partition:
            raise ValueError(
                f"partition must be >= 16 samples and divide block ({block}), got {partition}"
            )
        if not filter_ms > 0:
            raise ValueError(f"filter_ms must be > 0, got {filter_ms}")
        if not 0.0 < max_step <= 1.0:
            raise ValueError(f"max_step must be within (0, 1], got {max_step}")
        self.sample_rate = sample_rate
        self.block = block
        self.partition = partition
        self.partitions = max(1, math.ceil(filter_ms * sample_rate / 1000.0 / partition))
        self.filter_taps = self.partitions * partition
        self.max_step = max_step
        n = partition
        self._bins = n + 1
        # Recursive-average rates scaled to the partition duration (speexdsp's choices).
        self._spec_average = n / sample_rate  # spectra for the leakage regression
        self._beta0 = 2.0 * n / sample_rate  # leakage correlations, when the echo dominates
        self._beta_max = 0.5 * n / sample_rate  # ... at most, relative to the error
        self._erle_rate = min(1.0, block / (0.5 * sample_rate))  # ≈ 0.5 s
        self._noise_rise = 10 ** (3.0 / 10 * block / sample_rate)  # noise floor: +3 dB/s at most
        ramp = np.sin(0.5 * np.pi * (np.arange(n) + 0.5) / n) ** 2
        self._fade_in = ramp
        self._fade_out = 1.0 - ramp
        self._zeros = np.zeros(n)
        self._floor = 2.0 * n * self.partitions * _FLOOR_POWER  # per-bin power regulariser
        self.reset()

    # -- public ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: the learnt echo path, the reference history and the statistics."""
        m, bins, n = self.partitions, self._bins, self.partition
        self._x_spec = np.zeros((m, bins), dtype=np.complex128)  # newest partition first
        self._w_back = np.zeros((m, bins), dtype=np.complex128)  # the adapting filter
        self._w_fore = np.zeros((m, bins), dtype=np.complex128)  # the filter that outputs
        self._x_prev = np.zeros(n)
        self._silent_samples = self.filter_taps + self.block  # idle until a reference arrives
        self._idle = True
        # Leakage regression.
        self._err_smooth = np.zeros(bins)
        self._echo_smooth = np.zeros(bins)
        self._cov = 0.0
        self._var = 1e-12
        self._leak = 1.0
        # Bootstrap.
        self._adapted = False
        self._sum_adapt = 0.0
        # Two-path comparison (energies of the foreground and background errors).
        self._fore_short = self._back_short = 0.0
        self._fore_long = self._back_long = 0.0
        self._better_run = 0
        self._worse_run = 0
        # Statistics.
        self._mic_energy = 0.0
        self._out_energy = 0.0
        self._noise = -1.0
        self._double_talk = False
        self._blocks = 0
        self._updates = 0
        self._resets = 0
        self._restarts = 0

    def process(self, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """One block: the microphone ``mic`` and the reference ``ref`` the speaker played during
        the same sample times (int16, exactly ``block`` samples each; zeros when nothing played).
        Returns the microphone with the estimated echo removed (int16, ``block`` samples)."""
        d_raw = self._check(mic, "mic")
        x_raw = self._check(ref, "ref")
        self._blocks += 1
        if x_raw.any():
            self._silent_samples = 0
        else:
            self._silent_samples += self.block
        # The estimate of this block uses the reference back to filter_taps samples before its
        # start: if all of that is zero, the estimate is exactly zero.
        if self._silent_samples >= self.filter_taps + self.block:
            self._go_idle()
            return d_raw.copy()
        self._idle = False
        d = d_raw / _FULL_SCALE
        x = x_raw / _FULL_SCALE
        n = self.partition
        out = np.empty(self.block)
        echo = np.empty(self.block)
        for i in range(0, self.block, n):
            out[i : i + n], echo[i : i + n] = self._step(d[i : i + n], x[i : i + n])
        self._statistics(d, out, echo)
        return np.clip(np.rint(out * _FULL_SCALE), -32768, 32767).astype(np.int16)

    @property
    def erle_db(self) -> float:
        """Echo return loss enhancement over the last ≈ 0.5 s with a reference, in dB."""
        if self._idle or self._out_energy <= 0.0 or self._mic_energy <= 0.0:
            return 0.0
        return 10.0 * math.log10(self._mic_energy / self._out_energy)

    @property
    def double_talk(self) -> bool:
        """The last block looked like the wearer talking over the speaker (see ``EchoStats``)."""
        return self._double_talk

    @property
    def stats(self) -> EchoStats:
        """A snapshot of the diagnostics."""
        return EchoStats(
            erle_db=self.erle_db,
            double_talk=self._double_talk,
            adapted=self._adapted,
            leak=self._leak,
            idle=self._idle,
            blocks=self._blocks,
            foreground_updates=self._updates,
            background_resets=self._resets,
            restarts=self._restarts,
        )

    def impulse_response(self) -> np.ndarray:
        """The foreground filter as ``filter_taps`` time-domain taps (the echo path estimate)."""
        taps = np.fft.irfft(self._w_fore, n=2 * self.partition, axis=1)[:, : self.partition]
        return np.asarray(taps.reshape(-1), dtype=np.float64)

    # -- internals ------------------------------------------------------------------------

    def _check(self, samples: np.ndarray, name: str) -> np.ndarray:
        arr = np.asarray(samples)
        if arr.dtype != np.int16:
            raise ValueError(
                f"{name} must be int16 samples, got dtype {arr.dtype} — convert with "
                "glasses.devices.resample.to_int16"
            )
        if arr.shape != (self.block,):
            raise ValueError(
                f"{name} must be one block of {self.block} mono samples, got shape {arr.shape} "
                "— cut the stream with glasses.speech.Rechunker"
            )
        return arr

    def _go_idle(self) -> None:
        if not self._idle:
            self._x_spec[:] = 0.0
            self._x_prev[:] = 0.0
            self._mic_energy = self._out_energy = 0.0
            self._fore_short = self._back_short = self._fore_long = self._back_long = 0.0
            self._better_run = 0
            self._double_talk = False
        self._idle = True

    def _step(self, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One partition-sized step: (output, foreground echo estimate)."""
        self._x_spec[1:] = self._x_spec[:-1]
        self._x_spec[0] = np.fft.rfft(np.concatenate((self._x_prev, x)))
        self._x_prev = x

        y_fore = self._filter(self._w_fore)
        y_back = self._filter(self._w_back)
        e_fore = d - y_fore
        e_back = d - y_back
        s_fore = float(e_fore @ e_fore)
        s_back = float(e_back @ e_back)

        out, echo = e_fore, y_fore
        copy, backtrack = self._two_path(s_fore, s_back)
        if copy:
            # The background becomes the foreground; fade between the two estimates so the
            # switch leaves no step at the boundary.
            self._w_fore[:] = self._w_back
            echo = self._fade_out * y_fore + self._fade_in * y_back
            out = d - echo
            self._updates += 1
        elif backtrack:
            self._w_back[:] = self._w_fore
            y_back, e_back, s_back = y_fore, e_fore, s_fore
            self._resets += 1
        self._adapt(x, e_back, y_back, s_back)
        return out, echo

    def _filter(self, weights: np.ndarray) -> np.ndarray:
        spectrum = np.einsum("kf,kf->f", self._x_spec, weights)
        return np.fft.irfft(spectrum, n=2 * self.partition)[self.partition :]

    def _two_path(self, s_fore: float, s_back: float) -> tuple[bool, bool]:
        """(copy the background into the foreground, put the background back)."""
        floor = self.partition * _FLOOR_POWER
        self._fore_short += _SHORT * (s_fore - self._fore_short)
        self._back_short += _SHORT * (s_back - self._back_short)
        self._fore_long += _LONG * (s_fore - self._fore_long)
        self._back_long += _LONG * (s_back - self._back_long)
        fs, bs = self._fore_short + floor, self._back_short + floor
        fl, bl = self._fore_long + floor, self._back_long + floor
        if s_back + floor < _COPY_STEP * (s_fore + floor):
            self._better_run += 1
        else:
            self._better_run = 0
        copy = self._better_run >= _COPY_RUN or bs < _COPY_SHORT * fs or bl < _COPY_LONG * fl
        copy = copy and not self._double_talk
        backtrack = not copy and (bs > _BACKTRACK_SHORT * fs or bl > _BACKTRACK_LONG * fl)
        if copy or backtrack:
            self._better_run = 0
            # Both filters are now the same: their averages start equal.
            best_short = min(self._fore_short, self._back_short)
            best_long = min(self._fore_long, self._back_long)
            self._fore_short = self._back_short = best_short
            self._fore_long = self._back_long = best_long
        return copy, backtrack

    def _adapt(self, x: np.ndarray, e: np.ndarray, y: np.ndarray, s_ee: float) -> None:
        n = self.partition
        err_spec = np.fft.rfft(np.concatenate((self._zeros, e)))
        echo_spec = np.fft.rfft(np.concatenate((self._zeros, y)))
        err_pow = err_spec.real**2 + err_spec.imag**2
        echo_pow = echo_spec.real**2 + echo_spec.imag**2

        # Proportionate update: partitions holding more of the echo path (the first ones are
        # empty while the sound travels) get more of the step; the normaliser weighs each
        # partition's reference power alike, so the total correction stays one step.
        norms = np.sqrt(np.sum(self._w_back.real**2 + self._w_back.imag**2, axis=1))
        weights = norms + _PROP_FLOOR * float(norms.max()) + 1e-12
        weights *= self.partitions / float(weights.sum())
        x_pow = self._x_spec.real**2 + self._x_spec.imag**2
        power = weights @ x_pow
        # Regularised towards the all-bin mean: a bin far quieter than the rest would otherwise
        # take huge steps on the noise in it, and spoil the filter for when it gets loud.
        power = power + _SPREAD * float(power.mean()) + self._floor

        s_xx = float(x @ x)
        s_yy = float(y @ y)
        s_ey = float(e @ y)
        s_ee = s_ee + n * _FLOOR_POWER

        # Leakage: regress the error spectrum's fluctuations on the echo estimate's. The wearer's
        # voice in the error is uncorrelated with the echo estimate and averages out.
        d_err = err_pow - self._err_smooth
        d_echo = echo_pow - self._echo_smooth
        self._err_smooth += self._spec_average * d_err
        self._echo_smooth += self._spec_average * d_echo
        norm = math.sqrt(float(d_echo @ d_echo))
        if norm > 0.0:
            cov = float(d_err @ d_echo) / norm
            rate = min(self._beta0 * s_yy, self._beta_max * s_ee) / s_ee
            self._cov += rate * (cov - self._cov)
            self._var += rate * (norm - self._var)
        var = max(self._var, 1e-12)
        self._leak = min(max(self._cov / var, _MIN_LEAK), 1.0)

        if not self._adapted:
            if s_xx <= n * _BOOT_MIN_POWER:
                return
            rate = _BOOT_STEP * min(s_xx, s_ee) / s_ee
            self._sum_adapt += rate * n / self.block
            if self._sum_adapt > self.filter_taps / self.block and self._leak > 0.03:
                self._adapted = True
            step: np.ndarray | float = rate
        else:
            # Residual-to-error ratio of the whole step, bounded below by the echo estimate's
            # share of the error (a filter that misses part of the echo correlates with it).
            rer = (1e-4 * s_xx + 3.0 * self._leak * s_yy) / s_ee
            rer = max(rer, s_ey * s_ey / (s_ee * s_yy + 1e-30))
            rer = min(rer, 1.0)
            err_reg = err_pow + self._floor
            residual = np.minimum(self._leak * echo_pow, err_reg)
            step = self.max_step * (0.7 * residual + 0.3 * rer * err_reg) / err_reg

        if self._double_talk:
            step = step * _DT_STEP
        grad = weights[:, None] * np.conj(self._x_spec) * (err_spec * (_GAIN * step / power))
        taps = np.fft.irfft(grad, n=2 * n, axis=1)
        taps[:, n:] = 0.0  # the constraint: each partition stays an n-tap causal filter
        self._w_back += np.fft.rfft(taps, axis=1)

    def _statistics(self, d: np.ndarray, out: np.ndarray, echo: np.ndarray) -> None:
        s_dd = float(d @ d)
        s_out = float(out @ out)
        s_yy = float(echo @ echo)
        self._mic_energy += self._erle_rate * (s_dd - self._mic_energy)
        self._out_energy += self._erle_rate * (s_out - self._out_energy)
        if self._noise < 0.0:
            self._noise = s_out
        self._noise = min(self._noise * self._noise_rise, s_out)
        expected = self._leak * s_yy + self._noise + self.block * _FLOOR_POWER
        self._double_talk = self._adapted and s_out > _DOUBLE_TALK * expected
        # A filter that makes loud blocks louder no longer matches the echo path (the glasses
        # moved, the volume changed): unlearn it and start again from the bootstrap.
        if s_dd > _LOUD * self._noise:
            self._worse_run = self._worse_run + 1 if s_out > s_dd else 0
            if self._worse_run >= _RESTART_RUN:
                self._restart()

    def _restart(self) -> None:
        self._w_back[:] = 0.0
        self._w_fore[:] = 0.0
        self._adapted = False
        self._sum_adapt = 0.0
        self._cov, self._var, self._leak = 0.0, 1e-12, 1.0
        self._fore_short = self._back_short = self._fore_long = self._back_long = 0.0
        self._better_run = self._worse_run = 0
        self._restarts += 1


@dataclass(slots=True)
class _Clip:
    """Played samples: absolute sample ``first + j`` of the clip sounded at
    ``start_ns + (first + j)·10⁹/rate`` (``first`` grows as ``forget`` trims the front)."""

    start_ns: int
    first: int
    samples: np.ndarray


class ReferenceBuffer:
    """What the speaker played, on the runtime clock: the echo canceller's reference signal.

    ``add(samples, start_ns)`` records a clip (mono int16 at ``sample_rate``) whose first sample
    sounded at ``start_ns``; ``stop(at_ns)`` cuts everything still playing at ``at_ns`` (barge-in
    or a cancelled reply: nothing of the clips so far sounded after it); ``block(t_ns, n)`` is
    the reference of the ``n`` samples from ``t_ns`` (zeros where nothing played; overlapping
    clips are summed, as a mixer would, and saturated); ``active`` says whether anything played
    in a window or shortly before it; ``forget(before_ns)`` drops audio that ended before a time,
    to bound memory. Times are integer nanoseconds; a time between two sample instants is
    rounded to the nearest one. Not thread-safe.
    """

    def __init__(self, sample_rate: int = TARGET_RATE) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate}")
        self.sample_rate = sample_rate
        self._clips: list[_Clip] = []

    def add(self, samples_16k: np.ndarray, start_ns: int) -> None:
        """Record a clip whose first sample sounded at ``start_ns`` (mono int16)."""
        samples = np.asarray(samples_16k)
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise ValueError(
                f"reference audio must be mono (1-D) int16 samples at {self.sample_rate} Hz, got "
                f"dtype {samples.dtype} shape {samples.shape} — convert with "
                "glasses.devices.resample"
            )
        if len(samples):
            self._clips.append(_Clip(int(start_ns), 0, samples.copy()))

    def stop(self, at_ns: int) -> None:
        """Playback was cut at ``at_ns``: samples due at or after it never sounded."""
        kept: list[_Clip] = []
        for clip in self._clips:
            # Absolute samples j < (at - start)·rate/10⁹ sounded before the cut.
            count = -(-(int(at_ns) - clip.start_ns) * self.sample_rate // _NS_PER_S) - clip.first
            if count >= len(clip.samples):
                kept.append(clip)
            elif count > 0:
                kept.append(_Clip(clip.start_ns, clip.first, clip.samples[:count]))
        self._clips = kept

    def block(self, t_ns: int, n: int) -> np.ndarray:
        """The ``n`` reference samples from ``t_ns`` (int16; zeros where nothing played)."""
        if n < 0:
            raise ValueError(f"n must be >= 0 samples, got {n}")
        acc: np.ndarray | None = None
        single: np.ndarray | None = None
        for clip in self._clips:
            # Absolute clip index of the block's first sample, rounded to the nearest instant.
            offset = self._index(clip, int(t_ns)) - clip.first
            lo, hi = max(offset, 0), min(offset + n, len(clip.samples))
            if lo >= hi:
                continue
            if single is None and acc is None:
                single = np.zeros(n, dtype=np.int16)
                single[lo - offset : hi - offset] = clip.samples[lo:hi]
                continue
            if acc is None:
                assert single is not None  # internal invariant: the first clip went there
                acc = single.astype(np.int32)
            acc[lo - offset : hi - offset] += clip.samples[lo:hi]
        if acc is not None:
            return np.clip(acc, -32768, 32767).astype(np.int16)
        return single if single is not None else np.zeros(n, dtype=np.int16)

    def active(self, t_ns: int, n: int, tail_ns: int = 0) -> bool:
        """Whether anything played in [t_ns - tail_ns, t_ns + n samples): the echo of sound
        played up to ``tail_ns`` before the window may still reach the microphone in it."""
        lo = int(t_ns) - max(int(tail_ns), 0)
        hi = int(t_ns) + n * _NS_PER_S // self.sample_rate
        return any(self._start(c) < hi and self._end(c) > lo for c in self._clips)

    def forget(self, before_ns: int) -> None:
        """Drop the audio that finished sounding before ``before_ns``."""
        kept: list[_Clip] = []
        for clip in self._clips:
            if self._end(clip) <= before_ns:
                continue
            drop = (int(before_ns) - clip.start_ns) * self.sample_rate // _NS_PER_S - clip.first
            if drop > 0:
                clip = _Clip(clip.start_ns, clip.first + drop, clip.samples[drop:])
            kept.append(clip)
        self._clips = kept

    @property
    def end_ns(self) -> int | None:
        """When the last recorded sound ends, or None if nothing is recorded."""
        return max((self._end(c) for c in self._clips), default=None)

    def __len__(self) -> int:
        """Samples held (a memory measure)."""
        return sum(len(c.samples) for c in self._clips)

    def _index(self, clip: _Clip, t_ns: int) -> int:
        return ((t_ns - clip.start_ns) * self.sample_rate + _NS_PER_S // 2) // _NS_PER_S

    def _start(self, clip: _Clip) -> int:
        return clip.start_ns + clip.first * _NS_PER_S // self.sample_rate

    def _end(self, clip: _Clip) -> int:
        return clip.start_ns + (clip.first + len(clip.samples)) * _NS_PER_S // self.sample_rate
