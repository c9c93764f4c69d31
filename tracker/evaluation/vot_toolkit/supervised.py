"""The reset-based ("supervised", VOT2013-2019 baseline) experiment for vot-toolkit 0.9.0.

Imported by the toolkit's own process (its stack names
``tracker.evaluation.vot_toolkit.supervised.ResetExperiment``), never by eqtrack's: it needs
the ``vot`` package. The toolkit's built-in ``supervised`` experiment calls its TraX runtime
with a single object status where the runtime takes a list, so every TraX tracker stops with
"Tracker does not support multiple objects". This subclass runs the same protocol through the
list-based calls: initialize, track until the overlap drops to ``failure_overlap``, record the
failure, skip ``skip_initialize`` frames, initialize again. Being a ``SupervisedExperiment``,
the toolkit's accuracy-robustness, failure and EAO analyses accept it.
"""
from vot.experiment.multirun import SupervisedExperiment
from vot.region import Special, calculate_overlap
from vot.tracker import Trajectory


class ResetExperiment(SupervisedExperiment):
    """``SupervisedExperiment`` with TraX-compatible calls (see the module docstring)."""

    def execute(self, tracker, sequence, force=False, callback=None):
        if len(sequence.objects()) != 1:
            raise ValueError("the reset-based experiment takes single-target sequences only")
        results = self.results(tracker, sequence)
        with self._get_runtime(tracker, sequence) as runtime:
            for repetition in range(1, self.repetitions + 1):
                name = f"{sequence.name}_{repetition:03d}"
                if Trajectory.exists(results, name) and not force:
                    continue
                if self._can_stop(tracker, sequence):
                    return
                trajectory = Trajectory(len(sequence))
                frame = 0
                while frame < len(sequence):
                    start = self._get_initialization(sequence, frame)
                    _, elapsed = runtime.initialize(sequence.frame(frame), [start])
                    trajectory.set(frame, Special(Trajectory.INITIALIZATION), {"time": elapsed})
                    frame += 1
                    while frame < len(sequence):
                        status, elapsed = runtime.update(sequence.frame(frame), [])
                        target = status[0] if isinstance(status, list) else status
                        properties = {**dict(target.properties), "time": elapsed}
                        overlap = calculate_overlap(target.region, sequence.groundtruth(frame),
                                                    sequence.size)
                        if overlap <= self.failure_overlap:
                            trajectory.set(frame, Special(SupervisedExperiment.FAILURE),
                                           properties)
                            frame += self.skip_initialize
                            break
                        trajectory.set(frame, target.region, properties)
                        frame += 1
                if callback:
                    callback(repetition / self.repetitions)
                trajectory.write(results, name)
