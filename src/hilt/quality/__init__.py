"""Annotation quality: agreement between annotators, likely label errors, honest intervals."""

from hilt.quality.agreement import (
    Agreement,
    AnnotatorAgreement,
    PairAgreement,
    agreement,
    cohen_kappa,
    krippendorff_alpha_nominal,
)

__all__ = [
    "Agreement",
    "AnnotatorAgreement",
    "PairAgreement",
    "agreement",
    "cohen_kappa",
    "krippendorff_alpha_nominal",
]
