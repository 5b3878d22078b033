"""What a notebook user touches: ``arun``/``run`` over DataFrames, the progress widget, ``Results``, ``compare``.

Example:
    >>> import notebookllm as nl
    >>> results = nl.run(["a cat", "a dog"], prompt="One word for: {text}", strategy=strategy)  # doctest: +SKIP
    >>> results.df  # doctest: +SKIP
"""

from .compare import Comparison, acompare, compare
from .deadline import DeadlineOutcome
from .estimate import Estimate, aestimate, estimate
from .evaluation import ConfusionMatrix, Evaluation
from .judge import Judge, JudgeVerdict, judge
from .model_versions import ModelVersionWarning
from .progress import Progress, ProgressState, TextProgress, WidgetProgress
from .results import RESULT_DTYPES, SAFETY_COLUMNS, Results, RunSummary
from .runner import RunInterruptedWarning, arun, run
from .scoring import exact, field
from .stats import Significance

__all__ = [
    "RESULT_DTYPES",
    "SAFETY_COLUMNS",
    "Comparison",
    "ConfusionMatrix",
    "DeadlineOutcome",
    "Estimate",
    "Evaluation",
    "Judge",
    "JudgeVerdict",
    "ModelVersionWarning",
    "Progress",
    "ProgressState",
    "Results",
    "RunInterruptedWarning",
    "RunSummary",
    "Significance",
    "TextProgress",
    "WidgetProgress",
    "acompare",
    "aestimate",
    "arun",
    "compare",
    "estimate",
    "exact",
    "field",
    "judge",
    "run",
]
