"""POST /api/predict-text/: a handwritten number read whole. Its input forms are predict-digit's
(JSON data URL, pixels, a batch, a multipart file) and `alphabet`; its OutputSerializer
documents model_core's text answer, from which the OpenAPI schema is generated."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from backend.common.apis import TINY_PNG, JsonOrFormApi, batch_of, one_or_batch_responses
from backend.common.image_inputs import ImageInputSerializer, ImageUploadSerializer, ModelRefSerializer, TopKSerializer
from backend.common.throttling import payer
from model_core.serving import Constraint

from . import services

ALPHABET_HELP = (
    "digits (the default): a number, text made of 0-9 only (separators and marks are in `written`), read by "
    "the line network (`model` defaults to line-digits; a digit model named, cnn, mlp or ensemble, reads "
    "with the cutting reader). characters: words, read by the line network for characters (`model` "
    "defaults to line-characters; the characters model named, 47 characters, reads with the cutting reader): "
    "letters and digits, words separated by a space, a hyphen or an apostrophe inside a word (JEAN-PIERRE, "
    "O'NEIL). A model that cannot read the alphabet "
    "asked for is a 422 (invalid_alphabet)."
)


NO_NUL = r"^[^\x00]+$"  # text without a null character (which no field may hold), as the schema says


A_WORD = r"^[0-9A-Za-z'-]+$"  # a word of the list: letters, digits, a hyphen or an apostrophe (what is read)


class ConstraintInput(serializers.Serializer):
    """What a field may hold: it constrains the line network's beam search (each line's)."""

    allowed = serializers.RegexField(
        NO_NUL,
        required=False,
        max_length=256,
        trim_whitespace=False,
        help_text='The characters the text may hold, e.g. "0123456789" (letters in either case; for words a '
        "space, a hyphen or an apostrophe only if listed). The most probable reading of those characters is "
        "answered; the unconstrained one stays among `alternatives` (`constrained: false`).",
    )
    template = serializers.RegexField(
        NO_NUL,
        required=False,
        max_length=64,
        trim_whitespace=False,
        help_text="The shape of the line as written, e.g. DD/DD/DDDD: D a digit, A a letter, any other character "
        "itself (for numbers matched against `written`, marks included).",
    )
    words = serializers.ListField(
        child=serializers.RegexField(A_WORD, max_length=64),
        required=False,
        max_length=2000,
        help_text="The words the text may be (a lexicon: up to 2,000, 32 KB in all; letters in either case). "
        "The constraint's cost is counted in the request's price (2 units a line, one more a 200 words).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            attrs["constraint"] = Constraint(
                allowed=attrs.pop("allowed", None), template=attrs.pop("template", None),
                words=tuple(attrs.pop("words", ())),
            )  # fmt: skip
        except ValueError as exc:
            raise serializers.ValidationError({"words": [str(exc)]}, code="invalid_constraint") from exc
        return attrs


# A "1" of light ink on dark, 8×8 (pixels are at least 8×8).
EXAMPLE_PIXELS = [[0] * 8, *([[0, 0, 0, 255, 255, 0, 0, 0]] * 6), [0] * 8]
EXAMPLE_CHARACTERS = [
    {
        "label": "4",
        "confidence": 0.99,
        "top_k": [{"label": "4", "probability": 0.99}, {"label": "9", "probability": 0.01}],
        "box": [40, 30, 90, 140],
        "processed_image": TINY_PNG,
    },
    {
        "label": "2",
        "confidence": 0.98,
        "top_k": [{"label": "2", "probability": 0.98}, {"label": "7", "probability": 0.01}],
        "box": [150, 32, 80, 136],
        "processed_image": TINY_PNG,
    },
]


def alphabet_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=services.ALPHABETS, required=False, default="digits", help_text=ALPHABET_HELP
    )


class CharacterSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="The character as it stands in text (its word's case).")
    confidence = serializers.FloatField(
        help_text="Its label's probability, 0-1 (characters: both cases of a letter together)."
    )
    top_k = TopKSerializer(many=True, help_text="The network's own labels for this character, most probable first.")
    box = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=4,
        max_length=4,
        help_text="[x, y, width, height] in the decoded image's pixels (after EXIF rotation; for pixels: "
        "column, row). An image over 1280 px is read at a reduced working size, in whose pixels it is.",
    )
    processed_image = serializers.CharField(help_text="PNG data URL of the 28×28 the network read.")

    class Meta:
        ref_name = "TextCharacter"


class AlternativeSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField()
    constrained = serializers.BooleanField(
        help_text="Whether this reading obeys the request's allowed, template and words (with none "
        "given, every reading does); false for the reading without them, kept beside a constrained one."
    )

    class Meta:
        ref_name = "TextAlternative"


class LineSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="This line's text (as `text` is for one line).")
    written = serializers.CharField(allow_blank=True, help_text="This line as written.")
    confidence = serializers.FloatField(help_text="The calibrated probability that this line is right.")
    box = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=4,
        max_length=4,
        help_text="[x, y, width, height] of the line's ink in the decoded image's pixels.",
    )
    characters = CharacterSerializer(many=True, help_text="This line's characters, left to right.")
    alternatives = AlternativeSerializer(many=True, help_text="Other readings of this line, best first.")

    class Meta:
        ref_name = "TextLine"


class LeftOutSerializer(serializers.Serializer):
    box = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=4,
        max_length=4,
        help_text="[x, y, width, height] of the ink not read, in the decoded image's pixels.",
    )
    reason = serializers.ChoiceField(
        choices=["printed", "beyond_limit", "unreadable"],
        help_text="printed: ink on a read line no character covers, as wide as a character (a form's "
        "printed label: read as nothing, as the network was taught), or a word's width of ink too small "
        "to be a line (a printed caption); beyond_limit: a line past the picture's 8 (the heaviest are "
        "read); unreadable: a band of ink read as nothing at all, or a line beside the main writing's "
        "read at a confidence under 0.2 (a printed word or a ruling's fragment read as characters).",
    )

    class Meta:
        ref_name = "TextLeftOut"


class PredictTextApi(JsonOrFormApi):
    throttle_scope = "predict_text"

    class InputSerializer(ConstraintInput, ImageInputSerializer):
        alphabet = alphabet_field()

        class Meta:
            ref_name = "PredictTextJSON"

    class UploadInputSerializer(ConstraintInput, ImageUploadSerializer):
        alphabet = alphabet_field()
        words = serializers.ListField(  # a form holds at most 1,000 fields (Django's limit): 900 words
            child=serializers.RegexField(A_WORD, max_length=64),
            required=False,
            max_length=900,
            help_text="The words the text may be (up to 900 in a form; 2,000 in JSON).",
        )

        class Meta:
            ref_name = "PredictTextUpload"

    class OutputSerializer(serializers.Serializer):
        text = serializers.CharField(
            allow_blank=True,
            help_text="What is written, left to right; empty when no text. digits: 0-9 only. characters: words of "
            "letters and digits (A-Z, a-z, 0-9), one space between two words where the ink of two neighbouring "
            "characters lies apart by at least half the height of the line's tallest character (in a form's "
            "row of boxes: where a cell between them is empty). Within a word, letters and digits are not mixed "
            "unless the writing says so clearly (a name is not J0HN; AB12 stays); a word is answered in capitals "
            "or in lower case as written (its case-telling letters decide; one whose first letter is a capital "
            "is capitalised); punctuation, hyphens and apostrophes are left out; in a form's boxes only what is "
            "inside them is read (a printed label beside them is not).",
        )
        written = serializers.CharField(
            allow_blank=True,
            help_text="The line as written, as the reader saw it: for a number read by the line network, its "
            "digits with the separators and marks written among them (. , - ' /), e.g. 1.250,00 where text is "
            "125000; otherwise the same as text.",
        )
        confidence = serializers.FloatField(
            help_text="The calibrated probability that the whole text is right (for characters, letter case "
            "aside), fitted on validation material (docs: measurements)."
        )
        characters = CharacterSerializer(many=True, help_text="Each character read, left to right.")
        alternatives = AlternativeSerializer(many=True, help_text="Up to 3 other readings, best first.")
        suggested_alphabet = serializers.ChoiceField(
            choices=["characters"],
            allow_null=True,
            help_text="characters: this line was read as a number with less than 0.9 confidence and at "
            "least half of its characters look like letters to the characters model: read it again with "
            "alphabet characters. null otherwise (and always for words and for the cutting reader).",
        )
        is_text = serializers.BooleanField(
            help_text="false for a blank or near-blank image (answered 200, text empty, so that a batch of form "
            "fields with an empty one is still answered)."
        )
        lines = LineSerializer(
            many=True,
            help_text="Every line read, top first (a line network reads every line; the cutting reader one). "
            "`text` is their texts joined by a newline, `characters` all of theirs in order, `confidence` the "
            "product of theirs; `alternatives` are given for a one-line picture only (each line has its own).",
        )
        left_out = LeftOutSerializer(many=True, help_text="Ink the reading did not read, and why.")
        model = ModelRefSerializer()
        elapsed_ms = serializers.FloatField(help_text="Server time to read this image.")

        class Meta:
            ref_name = "TextReading"

    BatchOutputSerializer = batch_of(OutputSerializer, "BatchTextReading")

    @extend_schema(
        operation_id="predict_text",
        summary="Read a handwritten number or words (or a batch)",
        description=(
            "Send the image as predict-digit takes it (JSON `image`, `pixels` or a batch `images`; a multipart file "
            "`image`). The written line is found (a frame, a form's row of boxes, rulings and a page's edge are "
            "not read, nor anything outside them). `alphabet` digits (the default): a number, read whole by the "
            "line network (`model` line-digits): `text` its digits, `written` the line as written with its "
            "separators and marks (1.250,00), alternatives from the network's beam; a line at most 512 of the "
            "network's columns wide (2,048 px at 32 px tall; 413 `too_many_characters`). A digit model named "
            "(cnn, mlp, ensemble) reads by cutting the line into characters, at most 64 (413). `alphabet` "
            "characters: words, names and codes, read whole by the line network for characters (`model` "
            "line-characters: spaces, hyphens and apostrophes from the network, a form's printed label read as "
            "nothing); the characters model named reads by cutting. Every line of a picture is read, top first "
            "(`lines`; `text` joins them with a newline; at most 8 lines, 2,048 columns in all), and ink not read "
            "is said in `left_out` (printed, beyond_limit, unreadable). `allowed`, `template` and `words` "
            "constrain a line network's reading (the unconstrained one kept in `alternatives`, `constrained: "
            "false`; 422 `invalid_constraint` for the cutting reader). A number read with little "
            "confidence whose characters look like letters answers `suggested_alphabet: characters`. Every "
            "request is priced by its work before a network runs (413 `too_costly`, 429 `price_budget`). "
            "Measured accuracy: the project's docs (measurements, 'The line reader', 'Reading words')."
        ),
        request={"application/json": InputSerializer, "multipart/form-data": UploadInputSerializer},
        responses=one_or_batch_responses(OutputSerializer, BatchOutputSerializer, "TextReadingOrBatch", "reading"),
        examples=[
            OpenApiExample("A number, as a canvas data URL", value={"image": TINY_PNG}, request_only=True),
            OpenApiExample(
                "A number, as pixels (rows of 0-255, light ink on dark)",
                value={"pixels": EXAMPLE_PIXELS},
                request_only=True,
            ),
            OpenApiExample(
                "A batch of form fields, as data URLs", value={"images": [TINY_PNG, TINY_PNG]}, request_only=True
            ),
            OpenApiExample(
                "A photo, as a multipart file (curl -F image=@amount.jpg -F alphabet=digits)",
                value={"image": "(the file's bytes: PNG, JPEG, WebP, GIF or BMP)", "alphabet": "digits"},
                media_type="multipart/form-data",
                request_only=True,
            ),
            OpenApiExample(
                "Words, with the line network for characters",
                value={"image": TINY_PNG, "alphabet": "characters"},
                request_only=True,
            ),
            OpenApiExample(
                "Only digits in a field of characters (an O read as 0)",
                value={"image": TINY_PNG, "alphabet": "characters", "allowed": "0123456789"},
                request_only=True,
            ),
            OpenApiExample(
                "A date, by its template", value={"image": TINY_PNG, "template": "DD/DD/DDDD"}, request_only=True
            ),
            OpenApiExample(
                "A name from a list",
                value={"image": TINY_PNG, "alphabet": "characters", "words": ["PILLET", "PILLER", "MILLET"]},
                request_only=True,
            ),
            OpenApiExample(
                "Reading",
                response_only=True,
                value={
                    "text": "42",
                    "written": "42",
                    "confidence": 0.97,
                    "characters": EXAMPLE_CHARACTERS,
                    "alternatives": [{"text": "49", "confidence": 0.01, "constrained": True}],
                    "suggested_alphabet": None,
                    "is_text": True,
                    "lines": [
                        {
                            "text": "42",
                            "written": "42",
                            "confidence": 0.97,
                            "box": [40, 30, 190, 140],
                            "characters": EXAMPLE_CHARACTERS,
                            "alternatives": [{"text": "49", "confidence": 0.01, "constrained": True}],
                        }
                    ],
                    "left_out": [{"box": [2, 60, 30, 14], "reason": "printed"}],
                    "model": {"name": "cnn", "version": "2026-12-01.d881616e"},
                    "elapsed_ms": 6.2,
                },
            ),
        ],
    )
    def post(self, request):
        data = self.valid_input(request)
        results = services.read(
            pay=payer(request),
            sources=data["sources"],
            alphabet=data["alphabet"],
            model=data.get("model"),
            top_k=data["top_k"],
            constraint=data["constraint"],
        )
        return Response({"results": results} if data["batch"] else results[0])
