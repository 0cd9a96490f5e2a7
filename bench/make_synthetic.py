"""Make a synthetic issue of about N pages by repeating an issue's articles (distinct titles, same bodies and images).

    python bench/make_synthetic.py issues/18.yaml --pages 192 --base-pages 44 --fill-pages 3 --dest /tmp/synthetic-192

The manifest's folder (publication file, articles, images) is copied to DEST and a manifest with the
article list repeated is written there; its path is printed. Titles get a suffix " (reprise 2)", " (reprise 3)", ...
The page count is an estimate: pages per article of the base issue, its fill pages left out (the render reports
the real count).
"""

from __future__ import annotations

import argparse
import copy
import math
import shutil
from pathlib import Path

import yaml

IGNORED = shutil.ignore_patterns("build", ".cache", "__pycache__", "*.pyc", ".*")


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def article_count(pages: int, base_pages: int, base_articles: int, fill_pages: int = 0) -> int:
    """Articles needed for about `pages` pages, at the base issue's pages per article (at least the base list)."""
    per_article = (base_pages - fill_pages) / base_articles
    return max(base_articles, math.ceil(pages / per_article))


def make_synthetic(manifest: Path, pages: int, base_pages: int, dest: Path, fill_pages: int = 0) -> Path:
    """Copy `manifest`'s folder to `dest` and write there a manifest of about `pages` pages; return its path."""
    manifest = manifest.resolve()
    shutil.copytree(manifest.parent, dest, ignore=IGNORED, dirs_exist_ok=True)
    data = yaml.safe_load(manifest.read_text("utf-8"))
    articles = data["articles"]
    wanted = article_count(pages, base_pages, len(articles), fill_pages)
    repeated = []
    for i in range(wanted):
        article = copy.deepcopy(articles[i % len(articles)])
        round_ = i // len(articles) + 1
        if round_ > 1:
            article["title"] = f"{article['title']} (reprise {round_})"
        repeated.append(article)
    data["articles"] = repeated
    out = dest / f"{manifest.stem}-synthetic-{pages}.yaml"
    header = f"# Synthetic issue of about {pages} pages made by bench/make_synthetic.py from {manifest.name}.\n"
    text = yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=1000)
    out.write_text(header + text, "utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--pages", type=int, required=True, help="Page count aimed at.")
    parser.add_argument("--base-pages", type=int, required=True, help="Page count of the manifest's own issue.")
    parser.add_argument("--fill-pages", type=int, default=0, help="Fill pages of that issue (not article pages).")
    parser.add_argument("--dest", type=Path, required=True, help="Folder the issue is copied to.")
    args = parser.parse_args()
    print(make_synthetic(args.manifest, args.pages, args.base_pages, args.dest, args.fill_pages))


if __name__ == "__main__":
    main()
