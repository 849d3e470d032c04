"""A training script in the course's form (written for envdoctor's tests)."""
import argparse

import mindspore
from mindspore import context
from mindnlp.transformers import OpenAIGPTForSequenceClassification


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="GPU")
    args = parser.parse_args()
    context.set_context(device_target="GPU")
    context.set_context(device_target=args.device)
    try:
        import wandb  # optional logging
    except ImportError:
        wandb = None
    return OpenAIGPTForSequenceClassification.from_pretrained("openai-gpt", num_labels=2)


if __name__ == "__main__":
    main()
