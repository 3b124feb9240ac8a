"""Annotation quality: agreement between annotators, likely label errors, honest intervals."""

from hilt.quality.agreement import (
    Agreement,
    AnnotatorAgreement,
    PairAgreement,
    agreement,
    cohen_kappa,
    krippendorff_alpha_nominal,
)
from hilt.quality.label_sets import find_pair_issues, krippendorff_alpha, masi_distance, per_label_alpha
from hilt.quality.label_issues import (
    confident_joint,
    confident_thresholds,
    find_label_issues,
    out_of_fold_probabilities,
)

__all__ = [
    "Agreement",
    "AnnotatorAgreement",
    "PairAgreement",
    "agreement",
    "cohen_kappa",
    "confident_joint",
    "confident_thresholds",
    "find_label_issues",
    "find_pair_issues",
    "krippendorff_alpha",
    "krippendorff_alpha_nominal",
    "masi_distance",
    "out_of_fold_probabilities",
    "per_label_alpha",
]
