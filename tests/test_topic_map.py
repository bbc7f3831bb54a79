"""The topic map stays put when sheets are added; it is regrouped only past the silhouette margin."""

from __future__ import annotations

import numpy as np

from kb.knowledge_base import KnowledgeBase
from kb.sheet import Sheet
from kb.topics import MARGIN, silhouette, topics, update_map
from kb.vocabulary import vocabulary


def blobs(sizes: list[int], dim: int = 16, spread: float = 0.05, seed: int = 7) -> np.ndarray:
    """Unit vectors around len(sizes) orthogonal directions."""
    rng = np.random.default_rng(seed)
    rows = []
    for axis, size in enumerate(sizes):
        centre = np.zeros(dim)
        centre[axis] = 1.0
        rows.append(centre + spread * rng.standard_normal((size, dim)))
    x = np.vstack(rows).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_a_new_sheet_joins_the_nearest_topic_and_the_others_stay() -> None:
    x = blobs([5, 5, 5])
    ids = [f"s{i:02d}" for i in range(15)]
    first, regrouped = update_map(ids, x, {})
    assert regrouped and len(set(first.values())) == 3
    # a sheet close to the second group arrives
    new = blobs([0, 1], seed=9)[:1]
    second, regrouped = update_map([*ids, "s99"], np.vstack([x, new]), first)
    assert not regrouped
    assert {k: second[k] for k in ids} == first
    assert second["s99"] == first["s05"]


def test_a_map_far_worse_than_a_fresh_grouping_is_regrouped_and_keys_survive() -> None:
    x = blobs([6, 6])
    ids = [f"s{i:02d}" for i in range(12)]
    # a kept map that split the first group in two and merged its half with the second group
    kept = {sid: ("a" if i < 3 else "b") for i, sid in enumerate(ids)}
    kept_score = silhouette(x, np.array([0 if kept[s] == "a" else 1 for s in ids]))
    new = blobs([1], seed=3)[:1]
    mapping, regrouped = update_map([*ids, "s99"], np.vstack([x, new]), kept)
    fresh = silhouette(np.vstack([x, new]), np.array([mapping[s] == mapping["s00"] for s in [*ids, "s99"]]))
    assert fresh > kept_score + MARGIN and regrouped
    assert len({mapping[s] for s in ids[:6]}) == 1 and len({mapping[s] for s in ids[6:]}) == 1
    # the second group is mostly old topic "b" (its 6 sheets of b's 9): it keeps the key "b"
    assert mapping["s06"] == "b"


def test_publishing_a_sheet_keeps_every_other_sheet_in_its_topic(writable_kb: KnowledgeBase) -> None:
    store, model = writable_kb.store, writable_kb.encoder.model_id
    before = {m: t.key for t in topics(store, model) for m in t.members}
    labels = {t.key: t.label for t in topics(store, model)}
    sheet = Sheet(
        id="tri-des-dechets-et-reemploi",
        title="Un chantier de réemploi des matériaux de déconstruction",
        region="Grand Est",
        themes=["economie-circulaire"],
        sections={
            "context": "La déconstruction d'un collège produit des matériaux réemployables.",
            "objectives": "",
            "actions": "Des salariés en insertion trient et reconditionnent portes et radiateurs.",
            "advice": "",
            "outlook": "",
        },
    )
    writable_kb.save_sheet(sheet, status="published", origin="web")
    after = topics(store, model)
    keys = {m: t.key for t in after for m in t.members}
    assert {k: keys[k] for k in before} == before
    assert keys[sheet.id] in labels
    assert {t.key: t.label for t in after} == labels
    titles = {s.title for s in store.sheets()}
    themes = set(vocabulary().terms["themes"].values())
    assert all(t.label in themes | titles for t in after)  # names a person says, not bags of stems
