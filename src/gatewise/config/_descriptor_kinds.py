"""What gatewise knows about Evidently's descriptors beyond their signatures: how each takes its
columns, which ones cannot run in a gate (and why), which need nltk data, and the few defaults
gatewise sets differently from Evidently (kept from gatewise's earlier per-descriptor checks)."""

from __future__ import annotations

# how a descriptor names the columns it reads: gatewise fills these from ``column`` (and ``expected``)
COLUMN_PARAMS: dict[str, tuple[str, ...]] = {
    "one": ("column_name",),
    "pair": ("columns",),
    "first_second": ("first_column", "second_column"),
}

NEEDS_LLM = frozenset({
    "BiasLLMEval", "BinaryClassificationLLMEval", "CompletenessLLMEval", "ContextQualityLLMEval",
    "CorrectnessLLMEval", "DeclineLLMEval", "FaithfulnessLLMEval", "LLMEval", "LLMJudge",
    "MulticlassClassificationLLMEval", "NegativityLLMEval", "OpenAI", "PIILLMEval", "ToxicityLLMEval",
})
NEEDS_DOWNLOAD = frozenset({"BERTScore", "HuggingFace", "HuggingFaceToxicity", "SemanticSimilarity",
                            "ContextRelevance"})
NEEDS_PYTHON = frozenset({"CustomColumnDescriptor", "CustomDescriptor"})
NOT_A_ROW_CHECK = frozenset({"ColumnTest", "TestSummary"})

# nltk data a descriptor always reads (Evidently would download it on first use: gatewise refuses to)
NEEDS_NLTK: dict[str, tuple[str, ...]] = {
    "Sentiment": ("sentiment/vader_lexicon.zip",),
    "OOVWordsPercentage": ("corpora/wordnet", "corpora/words"),
}
# ``lemmatize: true`` needs this, on any descriptor that has the parameter
LEMMATIZER_DATA = ("corpora/wordnet",)
# Python packages a descriptor imports that evidently does not install
NEEDS_PACKAGE: dict[str, str] = {"IsValidSQL": "sqlvalidator"}
# output types of descriptors the catalogue cannot run to find them (their data or package is missing)
KNOWN_OUTPUTS: dict[str, str] = {"Sentiment": "number", "OOVWordsPercentage": "number", "IsValidSQL": "bool"}

# gatewise's defaults where they differ from Evidently's, with why
GATEWISE_DEFAULTS: dict[str, dict[str, object]] = {
    # lemmatizing needs nltk's wordnet corpus: off, so checks run offline unless asked
    "*": {"lemmatize": False},
    # "contains" is usually meant without regard to case
    "Contains": {"case_sensitive": False},
    "DoesNotContain": {"case_sensitive": False},
    # Evidently's "any" lets an answer holding a banned word pass while another banned word is absent
    "ExcludesWords": {"mode": "all"},
    # a schema that names types should check them
    "JSONSchemaMatch": {"validate_types": True},
}

# spellings of gatewise's earlier per-descriptor checks, now Evidently's own parameter names
RENAMED_PARAMS: dict[str, str] = {"words": "words_list", "pattern": "reg_exp"}

# two-column descriptors whose second column holds a list of items per row (not one text)
ITEM_LIST_DESCRIPTORS = frozenset({"ItemMatch", "ItemNoMatch", "WordMatch", "WordNoMatch"})
