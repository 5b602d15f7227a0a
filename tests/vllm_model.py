"""Builds the vLLM tier's model: a tiny random Llama and a byte-level BPE tokenizer with a chat
template, saved in Hugging Face's layout. No weights can be downloaded, and random weights answer
gibberish, which is enough for a contract test.

Run by the vLLM venv's python (it has torch, transformers and tokenizers; the test venv need not):
``python tests/vllm_model.py OUT_DIR``. Deterministic: the same seed and training text every time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# a plain template, so the chat API works; vLLM renders it with the messages of each request
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL = ["<s>", "</s>", "<unk>", "<pad>"]


def training_text(repo: Path) -> list[str]:
    """Local text to learn merges from: the repo's docs and sources (no download)."""
    files = [repo / "README.md", *sorted((repo / "src" / "gatewise").rglob("*.py"))]
    return [f.read_text(encoding="utf-8") for f in files if f.is_file()]


def build(out: Path, repo: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1024, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(training_text(repo), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, head_dim=32,
                         max_position_embeddings=4096, bos_token_id=fast.bos_token_id,
                         eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id,
                         tie_word_embeddings=True, torch_dtype="float32")
    LlamaForCausalLM(config).save_pretrained(out)


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(__file__).resolve().parents[1])
