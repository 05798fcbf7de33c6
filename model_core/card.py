"""The model card: what a saved model says about itself. Its readers (what a loaded model
and a server read of it) and `stamp` (what saving writes) live here; what training writes
into a card is model_core.training.cards.

A card is plain JSON, next to its weights (`<name>.json` beside `<name>.npz`):

    name, version, created      the model's name; `<date>.<first 8 hex of the weights' SHA-256>`; ISO time
    architecture                a named architecture (cnn, cnn-deep, mlp); an ensemble joins its kinds with +
    reader, ctc                 a line network's: reader "line" (read whole; otherwise "lattice", a
                                character classifier read over a line's cuts); ctc {blank: 0,
                                confidence: Platt's slope and shift of the text's probability}
    alphabet                    what the model reads as text ("digits" or "characters": ALPHABETS), written
                                once at training
    input: {deskew, recipe}     the input recipe the networks were trained on: deskew the model applies
                                itself; recipe how an image becomes the 28×28 ("mnist", the default, or
                                "emnist": see preprocess.RECIPES)
    labels                      the output labels, in order
    layers, parameter_count     the first network's layers; the parameters of all networks
    dataset                     {name, checksums_md5, train_size, validation_size, test_size}; validation_size
                                is 0 when some network trained on the held-out images
    versions                    {model_core, python, numpy} that trained it
    training                    {command, seed, split_seed, config, history (the first network's)}, and
                                combine_command, member_commands, finetune where those made the model
    members                     one entry per network: {architecture, seed, best_epoch, validation_accuracy,
                                seconds, history, train_size, validation_size, split_seed, spec, and
                                input_shape where it is not 28×28×1 (a line network's: [height, null, 1])}
    metrics                     {validation_accuracy (null when no image was held out from every network),
                                test: accuracy, per-class precision/recall and the confusion matrix}
    not_a_digit                 {method, threshold, temperature, ...figures}: how the model tells digits
                                from anything else, chosen on validation data. method "class": each network
                                has one output more than labels, "not a digit"; "max_softmax": the highest
                                probability; "digit_labels" (a model whose labels include the ten digits
                                among others): the score is the digits' summed probability, and an input
                                is a digit when its best label is one. Otherwise an input is a digit when
                                its score is at or above threshold; "gate": digit_score and is_digit are
                                those of the model named by `gate` (beside this one), which has the
                                same labels and its own "not a digit" output;
                                the probabilities over the labels are p^(1/temperature), renormalised.
    speed                       {one_image_ms, threads, measured}: one image through the model, as
                                benchmarks/inference_latency.py --record measured it
    parent                      `name@version` of the model this was fine-tuned from
    weights_file, weights_sha256  written by saved.save_model
    weights_storage             "float16" when the file holds the weights at half precision (they load as
                                float32; every figure on the card was measured on them as stored)
"""

from __future__ import annotations

SPLIT_KEYS = ("train_size", "validation_size", "split_seed")
# What a model may read as text: numbers (the digits) or words (letters and digits). The one
# place these names are written; the reader, the server's schema and its settings read them.
ALPHABETS = ("digits", "characters")


def stamp(
    card: dict,
    *,
    weights_file: str,
    sha256: str,
    labels: list[str],
    specs: list[list[dict]],
    input_shapes: list[tuple] | None = None,
) -> None:
    """What saving adds: the weights' file and checksum, the labels, each network's spec (and its
    input shape where it is not a 28×28's: a line network's [height, null, 1]), and (once) the
    version."""
    existing = card.get("members") or []
    members = [{**(existing[i] if i < len(existing) else {}), "spec": spec} for i, spec in enumerate(specs)]
    for member, shape in zip(members, input_shapes or [], strict=False):
        if tuple(shape) != (28, 28, 1):
            member["input_shape"] = list(shape)
    card.update({"weights_file": weights_file, "weights_sha256": sha256, "labels": labels, "members": members})
    card.setdefault("version", f"{str(card.get('created', ''))[:10]}.{sha256[:8]}".lstrip("."))


# --- Readers -----------------------------------------------------------------------------

REQUIRED = {"weights_file", "weights_sha256", "labels", "members"}


def name(card: dict) -> str:
    return str(card.get("name", "model"))


def version(card: dict) -> str:
    return str(card.get("version", "unversioned"))


def deskews(card: dict) -> bool:
    """Whether the networks were trained on deskewed digits (so inputs are deskewed too)."""
    return bool(card.get("input", {}).get("deskew", False))


def recipe(card: dict) -> str:
    """How an image becomes this model's 28×28 input (preprocess.RECIPES)."""
    return str(card.get("input", {}).get("recipe", "mnist"))


def alphabet(card: dict) -> str:
    """What the model reads as text (ALPHABETS), as its card says; a card from before the field
    says it by its labels (every label a digit: digits)."""
    written = card.get("alphabet")
    if written in ALPHABETS:
        return str(written)
    return "digits" if all(str(label).isdigit() for label in card.get("labels", ())) else "characters"


def reader(card: dict) -> str:
    """How the model reads a line: "lattice" (a character classifier read over a line's cuts) or
    "line" (a line network, read whole with CTC: its class 0 the blank, its labels after it)."""
    return str(card.get("reader", "lattice"))


def outputs(card: dict) -> int:
    """Each network's outputs: its labels, and the "not a digit" class or CTC's blank where it has one."""
    extra = reader(card) == "line" or not_a_digit(card)["method"] == CLASS_METHOD
    return len(card["labels"]) + int(extra)


def member_architecture(card: dict, index: int) -> str:
    members = card.get("members") or []
    named = members[index].get("architecture") if index < len(members) else None
    return str(named or card.get("architecture", "network"))


def model_split(card: dict) -> dict:
    """The train/validation split the model as a whole was trained on."""
    dataset, training = card.get("dataset", {}), card.get("training", {})
    return {
        "train_size": dataset.get("train_size"),
        "validation_size": dataset.get("validation_size"),
        "split_seed": training.get("split_seed"),
    }


def shared_split(members: list[dict]) -> dict | None:
    """The split every network trained on, if they share one that held images out; else None."""
    splits = [{k: m.get(k) for k in SPLIT_KEYS} for m in members]
    if splits and splits[0]["validation_size"] and all(s == splits[0] for s in splits):
        return splits[0]
    return None


CLASS_METHOD, MAX_SOFTMAX, DIGIT_LABELS_METHOD, GATE_METHOD = "class", "max_softmax", "digit_labels", "gate"
UNCALIBRATED = {"method": MAX_SOFTMAX, "threshold": 0.0, "temperature": 1.0}


def not_a_digit(card: dict) -> dict:
    """How the model tells digits from anything else; a card without the section (an older
    model) calls everything a digit and leaves its probabilities as they are."""
    return {**UNCALIBRATED, **(card.get("not_a_digit") or {})}


def summary(card: dict, default: str) -> dict:
    """What a list of models says about each: name, version, size and speed."""
    return {
        "name": name(card),
        "version": version(card),
        "architecture": str(card.get("architecture", "")),
        "networks": len(card.get("members") or []),
        "parameter_count": card.get("parameter_count"),
        "default": name(card) == default,
        "reads": alphabet(card),
        "reads_lines": reader(card) == "line",
        "one_image_ms": (card.get("speed") or {}).get("one_image_ms"),
    }


def test_accuracy(card: dict) -> float:
    return float(card["metrics"]["test"]["accuracy"])
