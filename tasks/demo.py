"""Demo projects for `make run`, built at set-up from the real data in ../shared/datasets/ecommerce.

Nothing from those files is shipped inside the project: they are read where they lie (DEMO_DATASETS_DIR).
Sources and licences: PriceRunner product titles (UCI "Product Classification and Clustering",
Akritidis & Bozanis), QueryNER (Palen-Michel et al., LREC-COLING 2024; queries from Amazon ESCI), and the
Abt-Buy product-matching pairs of Zheng et al. (PVLDB 2017), the last for research use only.
"""

import ast
import csv
import random
import string
from pathlib import Path

from core.dataset_files import PRICERUNNER_CSV, QUERYNER_JSON, pricerunner_titles, queryner_records, queryner_tag_names

from .importing import items_import
from .models import Project, ProjectStatus, TaskType
from . import services

SEED = 20261122
GOLD_SHARE = 0.05
SPAN_SHORTCUTS = "qwertyuiopasdfghj"


def _gold_positions(count: int, rng: random.Random) -> set[int]:
    return set(rng.sample(range(count), max(1, round(count * GOLD_SHARE))))


def pricerunner_rows(root: Path, count: int = 2000) -> tuple[list[str], list[dict]]:
    """About `count` titles, the same share of each category as the data, 5% gold from the data's own
    category. Exact duplicate titles are left out."""
    rows = pricerunner_titles(root / PRICERUNNER_CSV)
    rng = random.Random(SEED)
    sample = rng.sample(rows, min(count, len(rows)))
    gold = _gold_positions(len(sample), rng)
    items = []
    for i, row in enumerate(sample):
        item = {"external_id": row["product_id"], "title": row["title"]}
        if i in gold:
            item["gold"] = row["category"]
        items.append(item)
    return sorted({row["category"] for row in rows}), items


def queryner_rows(root: Path, count: int = 500) -> tuple[list[str], list[dict]]:
    """Shopping queries with their BIO tags turned into character-offset spans (gold for 5%)."""
    names = queryner_tag_names(root / QUERYNER_JSON)
    records = queryner_records(root / QUERYNER_JSON, "test", names)[:count]
    rng = random.Random(SEED)
    gold = _gold_positions(len(records), rng)
    items = []
    for i, record in enumerate(records):
        item = {"external_id": f"queryner-test-{i}", "text": record["text"]}
        if i in gold:
            item["gold"] = record["spans"]
        items.append(item)
    entity_types = sorted({n[2:] for n in names if n != "O"})
    return entity_types, items


def product_matching_rows(root: Path, count: int = 500) -> list[dict]:
    """Pairs of listings (Abt vs Buy). The question id's last field equals the answer: it is dropped, the
    external id is only the two record ids."""
    folder = root / "crowd_product_matching_jn"
    records = {}
    with open(folder / "data_product", encoding="utf-8") as f:
        next(f)
        for line in f:
            record_id, name, description, price = ast.literal_eval(line)
            records[int(record_id)] = {"name": name, "description": description[:1000], "price": price}
    with open(folder / "truth.csv", newline="") as f:
        truths = list(csv.DictReader(f))
    rng = random.Random(SEED)
    # A plain random sample: the data's share of real matches (12%) carries over, give or take chance.
    sample = rng.sample(truths, min(count, len(truths)))
    gold = _gold_positions(len(sample), rng)
    items = []
    for i, row in enumerate(sample):
        left_id, right_id = (int(part) for part in row["question"].split("_")[:2])
        item = {"external_id": f"{left_id}_{right_id}", "left": records[left_id], "right": records[right_id]}
        if i in gold:
            item["gold"] = "Same product" if row["truth"] == "1" else "Different products"
        items.append(item)
    return items


def _labels(names, shortcuts=None) -> dict:
    shortcuts = shortcuts or (string.digits[1:] + "0")
    return {"labels": [
        {"name": name, **({"shortcut": shortcuts[i]} if i < len(shortcuts) else {})} for i, name in enumerate(names)
    ]}


def product_category_project_create(*, root: Path, count: int = 2000, created_by=None) -> tuple[Project, str]:
    """The "Product category" demo project with `count` PriceRunner titles (the demo's 2,000; the shop-loop
    test takes fewer), published; and what was done."""
    categories, titles = pricerunner_rows(root, count)
    return _project(
        title="Product category", task_type=TaskType.SINGLE_LABEL, label_schema=_labels(categories),
        item_fields=["title"], rows=titles, created_by=created_by, reward_amount="0.02",
        description="Which category does this product title belong to?",
        instructions="Read the **product title** and pick its category.\n\n"
        "- Press the label's number key, or click it.\n- Press **Enter** to submit.\n"
        "- A *fridge freezer* has both compartments; a *fridge* or a *freezer* only one.",
    )


def demo_projects_create(*, root: Path, created_by=None) -> list[str]:
    """Create (or refresh) and publish the three demo projects; returns what was done, line by line."""
    done = [product_category_project_create(root=root, created_by=created_by)[1]]
    entity_types, queries = queryner_rows(root)
    done.append(_project(
        title="Shopping query attributes", task_type=TaskType.SPAN,
        label_schema=_labels(entity_types, SPAN_SHORTCUTS), item_fields=["text"], rows=queries,
        created_by=created_by, reward_amount="0.05", difficulty=3,
        description="Mark the brand, product type, colour, size... in real shopping queries.",
        instructions="Select the words of each attribute, then press its key (or click the type).\n\n"
        "*core_product_type* is what the shopper wants (\"dishwasher pods\"); *creator* is the brand.",
    )[1])
    pairs_dir = root / "crowd_product_matching_jn"
    if pairs_dir.exists():
        done.append(_project(
            title="Same product?", task_type=TaskType.PAIRWISE,
            label_schema=_labels(["Same product", "Different products"], "sd"), item_fields=["name"],
            rows=product_matching_rows(root), created_by=created_by, reward_amount="0.03", difficulty=2,
            description="Do these two shop listings describe the same product?",
            instructions="Compare the two listings. **Same product** means the same model, not just the same brand.",
        )[1])
    return done


def _project(*, title, rows, **fields) -> tuple[Project, str]:
    project = Project.objects.filter(title=title).first()
    if project is None:
        project = services.project_create(title=title, **fields)
    report = items_import(project=project, source=rows)
    if project.status != ProjectStatus.PUBLISHED:
        services.project_publish(project=project)
    return project, f"{title}: {report.summary()} (published)"
