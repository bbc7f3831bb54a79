"""Synthetic practice sheets for benchmarks: French, five parts, controlled vocabulary, seeded.

Encoding is the bottleneck (a few parts a second on 2 cores), so large corpora cannot be encoded
for a benchmark. Instead each synthetic part is made of sentences from a fixed pool; the pool is
encoded once with the real model (cached on disk by model id) and a part's vector is the
normalised mean of its sentences' vectors. Text and vectors stay consistent, the geometry is the
real model's, and a 100,000-sheet store is built in minutes.

Synthetic sheets have ids ``synth-NNNNNN`` and ``source: synthetic``; they are written to a store
of their own, never to ``practices/``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.passages import WINDOW_MARK, WINDOW_SENTENCES, is_window, section_of
from kb.sheet import SECTIONS, Sheet
from kb.store import Store
from kb.vocabulary import vocabulary

SOURCE = "synthetic"
_PLACES = {
    "Auvergne-Rhône-Alpes": ["Lyon", "Grenoble", "Saint-Étienne", "Clermont-Ferrand"],
    "Bourgogne-Franche-Comté": ["Dijon", "Besançon", "Nevers", "Belfort"],
    "Bretagne": ["Rennes", "Brest", "Lorient", "Saint-Brieuc"],
    "Centre-Val de Loire": ["Orléans", "Tours", "Bourges", "Blois"],
    "Grand Est": ["Nancy", "Strasbourg", "Metz", "Reims", "Mulhouse"],
    "Hauts-de-France": ["Lille", "Roubaix", "Amiens", "Dunkerque", "Saint-Quentin"],
    "Île-de-France": ["Paris", "Saint-Denis", "Créteil", "Argenteuil"],
    "Normandie": ["Rouen", "Caen", "Le Havre", "Cherbourg"],
    "Nouvelle-Aquitaine": ["Bordeaux", "Limoges", "Poitiers", "Pau"],
    "Occitanie": ["Toulouse", "Montpellier", "Nîmes", "Perpignan"],
    "Pays de la Loire": ["Nantes", "Angers", "Le Mans", "Saint-Nazaire"],
    "Provence-Alpes-Côte d'Azur": ["Marseille", "Nice", "Toulon", "Avignon"],
}
_ACTORS = [
    "la facilitatrice",
    "le facilitateur",
    "le bailleur social",
    "la collectivité",
    "la structure d'insertion",
    "l'entreprise titulaire",
    "la maison de l'emploi",
    "le PLIE",
    "la régie de quartier",
    "l'acheteur public",
]
_VERBS = ["a mis en place", "a expérimenté", "a développé", "a coordonné", "a renforcé", "a structuré"]
_OBJECTS = [
    "un partenariat avec les entreprises du territoire",
    "des ateliers de repérage des publics",
    "un comité de suivi des heures d'insertion",
    "des visites de chantiers",
    "un groupement de SIAE",
    "des temps d'information dans les quartiers",
    "un parcours de formation qualifiante",
    "une clause sociale dans les marchés de services",
    "des lots réservés aux structures inclusives",
    "un accompagnement renforcé des bénéficiaires",
    "une démarche de sourcing en amont des marchés",
]
_TEMPLATES: dict[str, list[str]] = {
    "context": [
        "Sur le territoire, {actor} constate des difficultés liées à {theme}.",
        "Le projet est né d'un besoin partagé autour de {theme}.",
        "Les marchés concernés sont principalement des {market}.",
        "Les publics visés sont notamment : {public}.",
        "{Actor} intervient depuis plusieurs années sur {theme}.",
    ],
    "objectives": [
        "L'objectif est de favoriser {theme}.",
        "Il s'agit de mieux toucher les publics : {public}.",
        "Le projet vise à diversifier les {market}.",
        "Les partenaires souhaitent développer {object}.",
    ],
    "actions": [
        "{Actor} {verb} {object}.",
        "Dans les {market}, {actor} {verb} {object}.",
        "Pour les publics ({public}), {actor} {verb} {object}.",
        "{Actor} {verb} {object} autour de {theme}.",
    ],
    "advice": [
        "Il est important d'associer {actor} dès le début.",
        "Il faut s'appuyer sur {object}.",
        "La coordination avec {actor} est déterminante pour {theme}.",
    ],
    "outlook": [
        "{Actor} souhaite essaimer la démarche.",
        "Les partenaires envisagent d'étendre {object}.",
        "Un bilan sur {theme} est prévu.",
    ],
}


def _fill(template: str, rng: random.Random) -> str:
    vocab = vocabulary().terms
    actor = rng.choice(_ACTORS)
    return template.format(
        actor=actor,
        Actor=actor[0].upper() + actor[1:],
        verb=rng.choice(_VERBS),
        object=rng.choice(_OBJECTS),
        theme=rng.choice(list(vocab["themes"].values())).lower(),
        market=rng.choice(list(vocab["market_types"].values())).lower(),
        public=rng.choice(list(vocab["publics"].values())).lower(),
    )


def sentence_pool(seed: int = 7, per_template: int = 12) -> dict[str, list[str]]:
    """Distinct sentences per part kind (title included), deterministic for a seed."""
    rng = random.Random(seed)
    pool: dict[str, list[str]] = {}
    for section, templates in _TEMPLATES.items():
        sentences = {_fill(t, rng) for t in templates for _ in range(per_template)}
        pool[section] = sorted(sentences)
    themes = list(vocabulary().terms["themes"].values())
    pool["title"] = sorted({f"{t} : {rng.choice(_OBJECTS)}" for t in themes for _ in range(4)})
    return pool


@dataclass
class SyntheticSheet:
    sheet: Sheet
    sentences: dict[str, list[int]]  # part -> indices into the pool of that part kind


def generate(count: int, seed: int = 7) -> Iterator[SyntheticSheet]:
    """``count`` sheets, the same ones for the same seed."""
    pool = sentence_pool(seed)
    vocab = vocabulary().terms
    rng = random.Random(seed * 1_000_003 + count)
    regions = list(_PLACES)
    for n in range(count):
        region = rng.choice(regions)
        chosen: dict[str, list[int]] = {"title": [rng.randrange(len(pool["title"]))]}
        sections = dict.fromkeys(SECTIONS, "")
        for section in SECTIONS:
            if section != "actions" and rng.random() < 0.12:
                continue  # some parts left empty, as in real sheets
            k = rng.choice((1, 1, 2, 2, 3, 4, 6)) if section == "actions" else rng.choice((1, 1, 2, 3))
            picks = rng.sample(range(len(pool[section])), k)
            chosen[section] = picks
            sections[section] = " ".join(pool[section][i] for i in picks)
        sheet = Sheet(
            id=f"synth-{n:06d}",
            title=pool["title"][chosen["title"][0]],
            organisations=[f"Structure {rng.randrange(1, 4000)}"],
            region=region,
            territory=rng.choice(_PLACES[region]),
            date=f"{rng.choice((2021, 2022, 2023, 2024))}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            themes=rng.sample(list(vocab["themes"]), rng.randint(1, 3)),
            publics=rng.sample(list(vocab["publics"]), rng.randint(0, 2)),
            market_types=rng.sample(list(vocab["market_types"]), rng.randint(0, 2)),
            actor_types=rng.sample(list(vocab["actor_types"]), rng.randint(1, 3)),
            source=SOURCE,
            sections=sections,
        )
        yield SyntheticSheet(sheet, chosen)


def pool_vectors(
    encode: Callable[[list[str]], np.ndarray], model_id: str, cache_dir: Path, seed: int = 7
) -> dict[str, np.ndarray]:
    """The pool's vectors, encoded once per model and pool, then read from ``cache_dir``."""
    pool = sentence_pool(seed)
    digest = hashlib.sha256(repr((model_id, sorted(pool.items()))).encode()).hexdigest()[:16]
    path = cache_dir / f"pool-{digest}.npz"
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in pool}
    vectors = {kind: encode(sentences) for kind, sentences in pool.items()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(path, **vectors)
    return vectors


def populate(
    store: Store,
    model_id: str,
    vectors: dict[str, np.ndarray],
    count: int,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``count`` synthetic sheets and their derived vectors into a store, in batches."""
    batch: list[SyntheticSheet] = []

    def flush() -> None:
        with store.transaction():
            for item in batch:
                store.save_sheet(item.sheet, origin=SOURCE)
            rows = []
            by_sheet = {item.sheet.id: item for item in batch}
            for part_id, sheet_id, section, passage_hash in store.parts_missing_vectors(model_id):
                item = by_sheet.get(sheet_id)
                if item is None:
                    continue
                kind = section_of(section)
                picks = item.sentences[kind]
                if is_window(section):  # a window of two pool sentences, from the n-th (kb.passages)
                    n = int(section.split(WINDOW_MARK)[1])
                    picks = picks[n : n + WINDOW_SENTENCES] or picks
                v = vectors[kind][picks].mean(axis=0)
                rows.append((part_id, passage_hash, v / (np.linalg.norm(v) or 1.0)))
            store.save_vectors(model_id, rows)
        if progress:
            progress(len(batch))
        batch.clear()

    for item in generate(count, seed):
        batch.append(item)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    store.optimize_keyword_index()
    return count
