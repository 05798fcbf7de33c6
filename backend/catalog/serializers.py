"""The model card as GET /api/model-info/ answers it: what it documents of a card."""

from __future__ import annotations

from rest_framework import serializers

from model_core.serving import LABELS

ALPHABETS = LABELS["alphabets"]


class LayerSerializer(serializers.Serializer):
    type = serializers.CharField()
    output_shape = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Its output's shape for one input; null where it follows the input's width (a line network's).",
    )
    parameters = serializers.IntegerField()
    config = serializers.SerializerMethodField()

    def get_config(self, layer) -> dict:
        return {k: v for k, v in layer.items() if k not in {"type", "output_shape", "parameters"}}


class ArchitectureSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A named architecture: cnn, cnn-deep, mlp.")
    networks = serializers.IntegerField(help_text="How many of the model's networks have it.")
    parameter_count = serializers.IntegerField(help_text="Parameters of one such network.")
    layers = LayerSerializer(many=True)


class EpochSerializer(serializers.Serializer):
    epoch = serializers.IntegerField()
    loss = serializers.FloatField()
    train_accuracy = serializers.FloatField()
    val_accuracy = serializers.FloatField(allow_null=True)
    lr = serializers.FloatField()
    seconds = serializers.FloatField()


class PerClassSerializer(serializers.Serializer):
    label = serializers.CharField()
    precision = serializers.FloatField()
    recall = serializers.FloatField()
    support = serializers.IntegerField()


class TestMetricsSerializer(serializers.Serializer):
    accuracy = serializers.FloatField()
    samples = serializers.IntegerField()
    per_class = PerClassSerializer(many=True)
    confusion_matrix = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))


class MetricsSerializer(serializers.Serializer):
    validation_accuracy = serializers.FloatField(allow_null=True)
    test = TestMetricsSerializer()


class DatasetSerializer(serializers.Serializer):
    name = serializers.CharField()
    checksums_md5 = serializers.DictField(child=serializers.CharField(), required=False, help_text="MNIST's files.")
    checksums_sha256 = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="EMNIST's file and its split (characters)."
    )
    class_weights = serializers.CharField(
        required=False, help_text="balanced: each class weighed 1 / its frequency in the loss (characters)."
    )
    train_size = serializers.IntegerField()
    validation_size = serializers.IntegerField(
        help_text="Training images held out for model selection; 0 when some network trained on all of them "
        "(then metrics.validation_accuracy is null and each member says what it saw)."
    )
    test_size = serializers.IntegerField()


class TrainingSerializer(serializers.Serializer):
    command = serializers.CharField()
    seed = serializers.IntegerField()
    config = serializers.DictField()
    history = EpochSerializer(many=True, help_text="Per-epoch loss and accuracy of the first network.")
    combine_command = serializers.CharField(required=False)


class MemberSerializer(serializers.Serializer):
    architecture = serializers.CharField(required=False, help_text="This network's named architecture.")
    seed = serializers.IntegerField()
    best_epoch = serializers.IntegerField()
    validation_accuracy = serializers.FloatField(allow_null=True)
    train_size = serializers.IntegerField(
        required=False, help_text="Training images this network saw (all 60,000 when validation_size is 0)."
    )
    validation_size = serializers.IntegerField(required=False, help_text="Images held out of its training.")
    history = EpochSerializer(many=True)


class NotADigitSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=["class", "max_softmax", "digit_labels", "gate", "line"],
        help_text="class: the network has its own 'not a digit' output; max_softmax: the highest probability; "
        "line: a line network, which reads lines (POST /api/predict-text/) and tells no single digit apart; "
        "digit_labels (characters): digit_score is the ten digits' summed probability, is_digit whether the "
        "best label is a digit; gate: digit_score and is_digit are those of the model named by `gate`.",
    )
    gate = serializers.CharField(required=False, help_text="With method gate: the model that tells digits apart.")
    threshold = serializers.FloatField(help_text="is_digit when digit_score is at or above it.")
    temperature = serializers.FloatField(help_text="Probabilities are p^(1/temperature), renormalised.")
    chosen_on = serializers.CharField(required=False, help_text="The validation data the two were chosen on.")
    validation = serializers.DictField(
        required=False, help_text="On that data: the share of digits and of non-digits flagged, ECE before and after."
    )


class ReaderSerializer(serializers.Serializer):
    alphabet = serializers.ChoiceField(
        choices=ALPHABETS, help_text="What POST /api/predict-text/ reads with this model."
    )
    reader = serializers.ChoiceField(
        choices=["lattice", "line"],
        required=False,
        help_text="Which reader: lattice (a character classifier over the line's cuts) or line (a line network "
        "read whole with CTC).",
    )
    how = serializers.CharField(help_text="How a line is read into text.")
    figures = serializers.DictField(
        allow_null=True,
        help_text="Measured on composed test material (benchmarks/read.py --split test --record): exact text and "
        "character error rate by kind, the confidence's calibration error, the time to read one line on one "
        "thread, the model and command that measured them. null: never recorded.",
    )

    class Meta:
        ref_name = "Reader"


class ModelSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    architecture = serializers.CharField()
    networks = serializers.IntegerField()
    parameter_count = serializers.IntegerField(allow_null=True)
    default = serializers.BooleanField()
    reads = serializers.ChoiceField(
        choices=ALPHABETS, help_text="digits: 0-9; characters: EMNIST's 47 handwritten characters."
    )
    reads_lines = serializers.BooleanField(
        help_text="A line network: it reads a whole line (POST /api/predict-text/), not one character."
    )
    one_image_ms = serializers.FloatField(
        allow_null=True, help_text="One image through it, as measured on the development machine (null: not measured)."
    )

    class Meta:
        ref_name = "ModelSummary"


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    default_model = serializers.CharField()
    available_models = serializers.ListField(child=serializers.CharField())
    architecture = serializers.CharField(
        help_text="A named architecture (cnn, cnn-deep, mlp, line-wide); an ensemble of several joins them with +."
    )
    alphabet = serializers.ChoiceField(
        choices=ALPHABETS, help_text="What the model reads as text: digits or characters (a fact of its card)."
    )
    input_recipe = serializers.SerializerMethodField(
        help_text="How an image becomes the 28×28 input: mnist (20×20 box, centre of mass) or emnist (square "
        "frame, as EMNIST made its characters)."
    )
    deskews_input = serializers.SerializerMethodField(
        help_text="Trained on deskewed digits: the model shears every input upright itself after preprocessing."
    )
    layers = LayerSerializer(
        many=True, help_text="The first network's layers; `architectures` has every architecture's."
    )
    architectures = ArchitectureSerializer(
        many=True, help_text="Each architecture among the networks, in order, with its layers."
    )
    not_a_digit = NotADigitSerializer(help_text="How the model tells digits from anything else.")
    reader = ReaderSerializer(help_text="How POST /api/predict-text/ reads text with this model, with its figures.")
    models = ModelSummarySerializer(many=True, help_text="Every shipped model, with its size and speed.")
    ensemble_size = serializers.SerializerMethodField()
    parameter_count = serializers.IntegerField()
    labels = serializers.ListField(child=serializers.CharField())
    dataset = DatasetSerializer()
    training = TrainingSerializer()
    members = MemberSerializer(many=True)
    metrics = MetricsSerializer()
    created = serializers.DateTimeField()
    parent = serializers.CharField(required=False, allow_null=True, help_text="The model this was fine-tuned from.")

    def get_ensemble_size(self, card) -> int:
        return len(card["members"])

    def get_deskews_input(self, card) -> bool:
        return card["deskews_input"]

    def get_input_recipe(self, card) -> str:
        return card["input_recipe"]
