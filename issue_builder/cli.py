"""The `issue-builder` command line: a thin click group over one module per command."""

from __future__ import annotations

import signal
import sys

import click

from issue_builder import __version__
from issue_builder.commands.check import check_command
from issue_builder.commands.diff import diff_command
from issue_builder.commands.flatplan import flatplan_command
from issue_builder.commands.package import package_command
from issue_builder.commands.preflight import preflight_command
from issue_builder.commands.proof import proof_command
from issue_builder.commands.render import render_command
from issue_builder.commands.watch import watch_command
from issue_builder.console import print_error
from issue_builder.errors import IssueBuilderError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="issue-builder")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Lay out a numbered issue from its YAML manifest into print and web PDFs."""
    ctx.obj = {"debug": debug}


cli.add_command(render_command)
cli.add_command(check_command)
cli.add_command(preflight_command)
cli.add_command(package_command)
cli.add_command(diff_command)
cli.add_command(proof_command)
cli.add_command(watch_command)
cli.add_command(flatplan_command)


def _interrupt(signum: int, frame) -> None:  # noqa: ANN001
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
    except Exception as exc:  # noqa: BLE001 - last resort: a bug, shown briefly unless --debug
        if debug:
            if hasattr(exc, "child_traceback"):
                print_error(exc.child_traceback)
            raise
        print_error(f"internal error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback)")
        sys.exit(70)
    sys.exit(0)
