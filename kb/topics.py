"""Topics: the published sheets grouped by their embeddings, labelled for organisers.

Each sheet is the normalised mean of its part vectors. FAISS k-means (fixed seed, sheets in id
order) groups them; the number of topics is the one with the best silhouette between 2 and
``max_topics``, so it follows the data and is the same from one run to the next for the same
corpus. A topic's label is its most distinctive French words (class-based TF-IDF of the stems,
shown in their most frequent spelling) and its most central sheets. A name a moderator gives
stays with the topic while at least half of its sheets are the same (Jaccard >= 0.5).
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


def _silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    distance = 1.0 - x @ x.T
    scores = []
    for i in range(len(x)):
        same = labels == labels[i]
        if same.sum() <= 1:
            scores.append(0.0)
            continue
        a = distance[i, same].sum() / (same.sum() - 1)
        b = min(distance[i, labels == c].mean() for c in set(labels.tolist()) if c != labels[i])
        scores.append((b - a) / max(a, b, 1e-9))
    return float(np.mean(scores))


def cluster(vectors: np.ndarray, max_topics: int = 12) -> np.ndarray:
    """Topic number of each row; k chosen by silhouette on (a sample of) the rows."""
    n = len(vectors)
    if n < 4:
        return np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(SEED)
    sample = np.sort(rng.choice(n, size=min(n, SAMPLE), replace=False))
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
        if len(set(labels[sample].tolist())) < 2:
            continue
        score = _silhouette(vectors[sample], labels[sample])
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    return best[1] if best else np.zeros(n, dtype=np.int64)


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


def topics(store: Store, model: str, max_topics: int = 12) -> list[Topic]:
    sheet_ids, vectors = sheet_vectors(store, model)
    if not sheet_ids:
        return []
    labels = cluster(vectors, max_topics)
    sheets = {s.id: s for s in store.sheets(sheet_ids)}
    per_sheet = {sid: _stem_counts(sheets[sid]) for sid in sheet_ids}
    document_frequency: Counter[str] = Counter()
    for stems, _ in per_sheet.values():
        document_frequency.update(stems.keys())
    named = store.topic_names()
    out = []
    for label in sorted(set(labels.tolist())):
        rows = [i for i, lab in enumerate(labels.tolist()) if lab == label]
        members = [sheet_ids[i] for i in rows]
        centroid = vectors[rows].mean(axis=0)
        order = np.argsort(-(vectors[rows] @ centroid))
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
        n = len(sheet_ids)
        scored = sorted(
            (
                (c * math.log(1 + n / document_frequency[s]), s)
                for s, c in counts.items()
                if s not in GENERIC and spread[s] >= shared and not _is_name(spellings[s])
            ),
            key=lambda item: (-item[0], item[1]),
        )
        top_words = []
        for _, s in scored[:5]:
            _, word = max(spellings[s], key=lambda item: (item[0], item[1]))
            top_words.append(word.lower())
        name = _match_name(named, set(members))
        out.append(
            Topic(
                key=min(members),
                label=name or ", ".join(top_words[:4]),
                words=top_words,
                central=[sheets[members[i]] for i in order[:3]],
                members=members,
                named=name is not None,
                regions=Counter(sheets[m].region or "—" for m in members),
            )
        )
    return sorted(out, key=lambda t: (-len(t.members), t.key))


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
