"""Scale-out: ``gatewise gate --shard K/N`` runs one shard's rows into a partial directory,
``gatewise merge`` checks the shards and decides from all their rows, exactly as one run would."""

from ._merge import merge_shards
from ._run import run_shard
from ._spec import ShardSpec, parse_shard

__all__ = ["ShardSpec", "merge_shards", "parse_shard", "run_shard"]
