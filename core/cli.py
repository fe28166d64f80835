"""The ``clwe`` command line: convert, align, evaluate, app.

Every subcommand turns a user-fixable problem into one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import CLWEError
from .io import BUNDLED_SPACES, load_embeddings, save_word2vec

SPACE_HELP = f"a bundled short name ({', '.join(BUNDLED_SPACES)}) or an embedding file"


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays machine-readable."""
    print(f"[clwe {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cmd_convert(args) -> int:
    emb = load_embeddings(args.space, max_vocab=args.max_vocab)
    save_word2vec(emb, args.out)
    progress(f"wrote {len(emb)} words × {emb.dim} dims of {emb.name} to {args.out}")
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_bli
    from .io import load_dictionary

    src = load_embeddings(args.src, max_vocab=args.max_vocab)
    tgt = load_embeddings(args.tgt, max_vocab=args.max_vocab)
    result = evaluate_bli(src, tgt, load_dictionary(args.dictionary), retrieval=args.retrieval)
    print(json.dumps({"n": result.n, "coverage": round(result.coverage, 6), "p@1": round(result.p_at_1, 6),
                      "p@5": round(result.p_at_5, 6), "p@10": round(result.p_at_10, 6),
                      "mrr": round(result.mrr, 6), "retrieval": args.retrieval}))
    return 0


def cmd_app(args) -> int:
    import subprocess

    script = Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py"
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(script), *args.streamlit_args])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clwe", description="Cross-lingual word embeddings, step by step.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="write any loadable space as word2vec text")
    p.add_argument("space", help=SPACE_HELP)
    p.add_argument("out", help="output path (.vec, or .vec.gz for gzip)")
    p.add_argument("--max-vocab", type=int, default=None, help="keep only the N most frequent words")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("evaluate", help="bilingual lexicon induction between two mapped spaces (one JSON line)")
    p.add_argument("--src", required=True, help="mapped source space (" + SPACE_HELP + ")")
    p.add_argument("--tgt", required=True, help="mapped target space, same dimension")
    p.add_argument("--dictionary", required=True, help="gold pairs: 'src tgt' per line, TSV or dictd .index")
    p.add_argument("--retrieval", choices=("csls", "nn", "isf"), default="csls")
    p.add_argument("--max-vocab", type=int, default=None, help="retrieve among the N most frequent words")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("app", help="start the Streamlit lab (extra arguments go to streamlit run)")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLWEError as e:
        print(f"clwe {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"clwe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
