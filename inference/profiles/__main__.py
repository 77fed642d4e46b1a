"""`python -m inference.profiles list | show NAME | render NAME`"""
from __future__ import annotations

import argparse
import sys

from inference import profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.profiles")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="profile names and hardware")
    for verb in ("render", "show"):
        sub = commands.add_parser(verb, help="print the vllm serve line" if verb == "render" else "describe a profile")
        sub.add_argument("name")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for name in profiles.names():
                print(f"{name:40} {profiles.load(name).hardware}")
        elif args.command == "render":
            print(profiles.render(args.name))
        else:
            profile = profiles.load(args.name)
            print(f"{profile.name}\n  hardware: {profile.hardware}\n  model: {profile.model}\n  {profile.description}")
    except profiles.UnknownProfileError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
