"""The `issue-builder` command line: a thin click group over one module per command."""

from __future__ import annotations

import importlib
import signal
import sys

import click

from issue_builder import __version__
from issue_builder.base.console import print_error
from issue_builder.base.diagnostics import IssueBuilderError

# each command's module is imported only when that command runs: `render` with nothing to do stays quick.
# In the order of the work (start an issue, check it, render it, ...), one line per command.
COMMANDS = {
    "new": "issue_builder.commands.new:new_command",
    "schema": "issue_builder.commands.schema:schema_command",
    "import": "issue_builder.commands.import_:import_command",
    "check": "issue_builder.commands.check:check_command",
    "render": "issue_builder.commands.render:render_command",
    "preflight": "issue_builder.commands.preflight:preflight_command",
    "package": "issue_builder.commands.package:package_command",
    "impose": "issue_builder.commands.impose:impose_command",
    "diff": "issue_builder.commands.diff:diff_command",
    "proof": "issue_builder.commands.proof:proof_command",
    "comments": "issue_builder.commands.comments:comments_command",
    "watch": "issue_builder.commands.watch:watch_command",
    "flatplan": "issue_builder.commands.flatplan:flatplan_command",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="issue-builder")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Lay out a numbered issue from its YAML manifest into print and web PDFs."""
    ctx.obj = {"debug": debug}


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors are shown without a traceback and set the exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    if argv is None:  # the command line, not a test calling in: `kill` stops as Ctrl-C does, cleaning up children
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        cli.main(args=args, prog_name="issue-builder", standalone_mode=False)
    except IssueBuilderError as exc:
        if debug:
            raise
        print_error(exc.report())
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        print_error("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            if hasattr(exc, "child_traceback"):
                print_error(exc.child_traceback)
            raise
        print_error(f"internal error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback)")
        sys.exit(70)
    sys.exit(0)
