"""Topics: the published sheets grouped by their embeddings, named for organisers.

Each sheet is the normalised mean of its part vectors. The map of topics is kept in the store, so
publishing a sheet does not reshuffle it: a new sheet joins the topic with the nearest centroid.
The sheets are grouped afresh (FAISS k-means, fixed seed, k between 2 and ``max_topics`` chosen by
scikit-learn's silhouette) only when there is no map yet, when a moderator asks, or when a fresh
grouping's silhouette beats the kept map's by more than ``MARGIN``; a topic of the new grouping
that shares at least half of its sheets with an old one (Jaccard >= 0.5) keeps its key and name.

A topic is named as a person would say it: the vocabulary theme most of its sheets carry, else
the title of its most central sheet; its most distinctive words (class-based TF-IDF of the stems,
in their most frequent spelling) are shown beside. A name a moderator gives wins while at least
half of the topic's sheets are the same.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import faiss
import numpy as np

from kb.sheet import Sheet
from kb.store import Store
from kb.text import FRENCH_STOPWORDS, fold, stem, words
from kb.vocabulary import vocabulary

SEED = 1234
SAMPLE = 2000  # sheets used to score a choice of k (silhouette is quadratic)
# Stems every sheet of this corpus shares, and filler: they tell topics apart from nothing.
GENERIC = {
    "claus",
    "social",
    "insert",
    "march",
    "public",
    "emploi",
    "territoir",
    "structur",
    "facilit",
    "action",
    "deux",
    "mis",
    "mise",
    "notam",
    "plus",
    "cet",
    "cel",
    "leur",
    "ete",
    "fait",
    "cadr",
    "dont",
    "autr",
}


@dataclass
class Topic:
    key: str  # stable within a corpus: the smallest member id
    label: str  # the moderator's name, or the distinctive words
    words: list[str]
    central: list[Sheet]
    members: list[str]
    named: bool = False
    regions: Counter[str] = field(default_factory=Counter)


def sheet_vectors(store: Store, model: str) -> tuple[list[str], np.ndarray]:
    """Published sheet ids (sorted) and their mean part vectors, normalised."""
    ids, matrix = store.vectors(model)
    if not len(ids):
        return [], np.zeros((0, 0), dtype=np.float32)
    owner = {p.id: p.sheet_id for p in store.parts(status="published")}
    groups: dict[str, list[int]] = {}
    for row, pid in enumerate(ids.tolist()):
        groups.setdefault(owner[pid], []).append(row)
    sheet_ids = sorted(groups)
    means = np.vstack([matrix[groups[s]].mean(axis=0) for s in sheet_ids]).astype(np.float32)
    means /= np.linalg.norm(means, axis=1, keepdims=True).clip(1e-9)
    return sheet_ids, means


MARGIN = 0.05  # silhouette gain a fresh grouping needs over the kept map to replace it


def silhouette(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (cosine) on a fixed sample; -1 when it is undefined (one group, or one per row)."""
    from sklearn.metrics import silhouette_score

    groups = len(set(labels.tolist()))
    if not 2 <= groups <= len(vectors) - 1:
        return -1.0
    size = min(len(vectors), SAMPLE)
    return float(silhouette_score(vectors, labels, metric="cosine", sample_size=size, random_state=SEED))


def cluster(vectors: np.ndarray, max_topics: int = 12) -> tuple[np.ndarray, float]:
    """Topic number of each row, k chosen by silhouette, and that silhouette."""
    n = len(vectors)
    if n < 4:
        return np.zeros(n, dtype=np.int64), -1.0
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, min(max_topics, n // 2) + 1):
        km = faiss.Kmeans(
            vectors.shape[1],
            k,
            niter=25,
            seed=SEED,
            spherical=True,
            min_points_per_centroid=1,
            max_points_per_centroid=100_000,
        )
        km.train(vectors)
        _, assigned = km.index.search(vectors, 1)
        labels = assigned[:, 0]
        score = silhouette(vectors, labels)
        if score > -1.0 and (best is None or score > best[0] + 1e-9):
            best = (score, labels)
    return (best[1], best[0]) if best else (np.zeros(n, dtype=np.int64), -1.0)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _keyed(groups: list[set[str]], old: dict[str, set[str]]) -> dict[str, str]:
    """Sheet -> topic key for a fresh grouping: a group keeps the key of the old topic it mostly
    is (Jaccard >= 0.5), else takes its smallest member id."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for group in sorted(groups, key=lambda g: (-len(g), min(g))):
        match = max(old, key=lambda k: (_jaccard(old[k], group), k), default=None)
        key = match if match is not None and match not in taken and _jaccard(old[match], group) >= 0.5 else min(group)
        taken.add(key)
        out.update(dict.fromkeys(group, key))
    return out


def update_map(
    ids: list[str], vectors: np.ndarray, kept: dict[str, str], regroup: bool = False, max_topics: int = 12
) -> tuple[dict[str, str], bool]:
    """The topic of each sheet, and whether the sheets were grouped afresh.

    ``kept`` is the previous map; sheets it does not know join the topic with the nearest centroid.
    """
    row = {sid: i for i, sid in enumerate(ids)}
    current = {sid: topic for sid, topic in kept.items() if sid in row}
    old: dict[str, set[str]] = {}
    for sid, topic in current.items():
        old.setdefault(topic, set()).add(sid)
    if current and not regroup:
        keys = sorted(old)
        centroids = np.vstack([vectors[[row[s] for s in sorted(old[k])]].mean(axis=0) for k in keys])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-9)
        for sid in ids:
            if sid not in current:
                current[sid] = keys[int(np.argmax(centroids @ vectors[row[sid]]))]
        if current == kept:
            return current, False
        labels = np.array([keys.index(current[s]) for s in ids])
        fresh, fresh_score = cluster(vectors, max_topics)
        if fresh_score <= silhouette(vectors, labels) + MARGIN:
            return current, False
    else:
        fresh, _ = cluster(vectors, max_topics)
    groups: dict[int, set[str]] = {}
    for sid, label in zip(ids, fresh.tolist(), strict=True):
        groups.setdefault(label, set()).add(sid)
    return _keyed(list(groups.values()), old), True


def _stem_counts(sheet: Sheet) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Stem counts of a sheet, and the spellings seen (capitalised ones kept, to spot names)."""
    stems: Counter[str] = Counter()
    surface: Counter[tuple[str, str]] = Counter()
    for text in (sheet.title, *sheet.sections.values()):
        for word in words(text):
            folded = fold(word)
            if folded in FRENCH_STOPWORDS or len(folded) < 4 or folded.isdigit():
                continue
            s = stem(word)
            stems[s] += 1
            surface[(s, word)] += 1
    return stems, surface


def _is_name(spellings: list[tuple[int, str]]) -> bool:
    """Mostly capitalised (Habitat, Vinci, ANAR): a name, not a topic word."""
    capitalised = sum(c for c, w in spellings if w[:1].isupper())
    return capitalised * 2 > sum(c for c, _ in spellings)


def _auto_label(members: list[Sheet], central: Sheet, used: set[str]) -> str:
    """The theme most of the topic's sheets carry (if no other topic has it), else the title of
    its most central sheet."""
    counts = Counter(t for s in members for t in s.themes)
    vocab = vocabulary()
    for theme, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        label = vocab.label("themes", theme)
        if n * 2 < len(members):
            break
        if label not in used:
            return label
    return central.title


def _distinctive_words(
    members: list[str],
    per_sheet: dict[str, tuple[Counter[str], Counter[tuple[str, str]]]],
    document_frequency: Counter[str],
) -> list[str]:
    counts: Counter[str] = Counter()
    spread: Counter[str] = Counter()  # in how many member sheets
    surface: Counter[tuple[str, str]] = Counter()
    for sid in members:
        counts.update(per_sheet[sid][0])
        spread.update(per_sheet[sid][0].keys())
        surface.update(per_sheet[sid][1])
    spellings: dict[str, list[tuple[int, str]]] = {}
    for (st, w), c in surface.items():
        spellings.setdefault(st, []).append((c, w))
    shared = 2 if len(members) > 1 else 1
    n = len(per_sheet)
    scored = sorted(
        (
            (c * math.log(1 + n / document_frequency[s]), s)
            for s, c in counts.items()
            if s not in GENERIC and spread[s] >= shared and not _is_name(spellings[s])
        ),
        key=lambda item: (-item[0], item[1]),
    )
    return [max(spellings[s], key=lambda item: (item[0], item[1]))[1].lower() for _, s in scored[:5]]


def topics(store: Store, model: str, max_topics: int = 12, regroup: bool = False) -> list[Topic]:
    """The topics of the published sheets, from the kept map (updated and saved when it changed;
    a read-only store gets the same answer without saving)."""
    sheet_ids, vectors = sheet_vectors(store, model)
    if not sheet_ids:
        return []
    kept, labels, kept_model = store.topic_map()
    if kept_model != model:  # another model's map says nothing about these vectors
        kept, labels = {}, {}
    mapping, _ = update_map(sheet_ids, vectors, kept, regroup, max_topics)
    sheets = {s.id: s for s in store.sheets(sheet_ids)}
    per_sheet = {sid: _stem_counts(sheets[sid]) for sid in sheet_ids}
    document_frequency: Counter[str] = Counter()
    for stems, _ in per_sheet.values():
        document_frequency.update(stems.keys())
    named = store.topic_names()
    row = {sid: i for i, sid in enumerate(sheet_ids)}
    groups: dict[str, list[str]] = {}
    for sid in sheet_ids:
        groups.setdefault(mapping[sid], []).append(sid)
    out = []
    used = {labels[k] for k in groups if k in labels}
    for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        rows = [row[m] for m in members]
        centroid = vectors[rows].mean(axis=0)
        central = [sheets[members[i]] for i in np.argsort(-(vectors[rows] @ centroid))[:3]]
        if key not in labels:
            labels[key] = _auto_label([sheets[m] for m in members], central[0], used)
            used.add(labels[key])
        name = _match_name(named, set(members))
        out.append(
            Topic(
                key=key,
                label=name or labels[key],
                words=_distinctive_words(members, per_sheet, document_frequency),
                central=central,
                members=members,
                named=name is not None,
                regions=Counter(sheets[m].region or "—" for m in members),
            )
        )
    labels = {k: v for k, v in labels.items() if k in groups}
    if not store.readonly and (mapping, labels, model) != (kept, store.topic_map()[1], kept_model):
        store.save_topic_map(mapping, labels, model)
    return out


def _match_name(named: list[tuple[str, set[str]]], members: set[str]) -> str | None:
    """The latest name whose members overlap this topic's by half or more."""
    for name, old in named:
        if len(old & members) / len(old | members) >= 0.5:
            return name
    return None


def rename(store: Store, members: list[str], name: str, user: str) -> None:
    name = " ".join(name.split())[:120]
    if not name:
        raise ValueError("empty name")
    store.add_topic_name(name, members, user)
