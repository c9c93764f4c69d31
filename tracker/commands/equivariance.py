"""Measure how equivariant a backbone is: relative error per stage and per group element.

    python tools/equivariance.py [--backbone NAME | --config C | --checkpoint P] [--set K=V]
        [--group p4|p4m|c8|d8] [--images DIR] [--count 4] [--size N] [--form native|...]

Prints ``||A(f(T x)) - T' A(f(x))|| / ||A(f(x))||`` for each stage of the backbone and each
non-identity element ``T`` of the group (see backbones/equivariance.py for the forms ``A``/``T'``),
on ``--count`` square crops of the images in ``--images`` (jpg/png, searched recursively) or of
generated frames. ``--size`` defaults to the config's search size; the sizes at which the
architecture can be exactly equivariant are printed too.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from backbones.equivariance import FORMS, equivariance_error, get_transforms
from tracker.commands.common import add_model_arguments, entry, model_from_args, setup_logging
from tracker.crops import center_square, to_tensor
from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.errors import InputError
from tracker.video import IMAGE_EXTENSIONS, is_image_file, read_image

log = logging.getLogger("eqtrack.equivariance")


def load_images(folder: str | None, count: int, size: int, seed: int) -> torch.Tensor:
    """``[count, 3, size, size]`` RGB 0..255: centre squares of images in ``folder``, or of
    generated frames when ``folder`` is None."""
    if folder is None:
        seq = generate_sequence(SequenceSpec(num_frames=count), seed=seed)
        return to_tensor([center_square(f, size) for f in seq.frames[:count]])
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"image folder '{folder}' does not exist")
    paths = sorted(p for p in root.rglob("*") if is_image_file(p.name))
    imgs = []
    for p in paths:
        img = read_image(p)
        if img is not None:
            imgs.append(center_square(img, size))
        if len(imgs) == count:
            break
    if not imgs:
        raise InputError(f"no readable image in '{folder}' ({', '.join(IMAGE_EXTENSIONS)})")
    return to_tensor(imgs)


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack equivariance --config "
                                        "configs/siamfc_p4m_resnet22.yaml --group p4m"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", help="a registered backbone with its default arguments "
                                      "(shorthand for --set model.backbone=NAME)")
    add_model_arguments(p, backend=False)
    p.add_argument("--group", default="p4", help="p4, p4m, c8 or d8 (default p4)")
    p.add_argument("--images", help="folder of images (default: generated frames)")
    p.add_argument("--count", type=int, default=4, help="number of images (default 4)")
    p.add_argument("--size", type=int, help="input side (default: the config's instance_size)")
    p.add_argument("--form", default="native", choices=("native",) + FORMS)
    p.add_argument("--seed", type=int, default=0, help="seed of the generated frames")
    args = p.parse_args(argv)
    setup_logging()
    transforms = get_transforms(args.group)
    if args.backbone:
        args.overrides = [f"model.backbone={args.backbone}", "model.backbone_args={}"] \
            + args.overrides
    if args.count < 1:
        raise InputError(f"--count must be at least 1, got {args.count}")
    model, cfg = model_from_args(args)
    backbone = model.backbone.eval()
    size = args.size or cfg.tracking.instance_size
    if size < 16:
        raise InputError(f"--size {size} is too small")
    images = load_images(args.images, args.count, size, args.seed)
    try:
        errors = equivariance_error(backbone, images, args.group, args.form)
    except NotImplementedError as e:
        raise InputError(f"backbone {cfg.model.backbone}: {e}") from None
    except ValueError as e:
        raise InputError(str(e)) from None
    if backbone.size_modulus > 1:
        m, r = backbone.size_modulus, backbone.size_residue
        exact = f"{r} mod {m}, e.g. {r + 15 * m} and {r + 31 * m}"
    else:
        exact = "none known"
    print(f"backbone {cfg.model.backbone} ({type(backbone).__name__}, "
          f"group {backbone.group_name or 'none'}), transforms {transforms.name}, "
          f"form {args.form}, {len(images)} images of {size}x{size} "
          f"({'generated' if args.images is None else args.images})")
    print(f"exactly aligned input sizes: {exact}; {size} is "
          f"{'aligned' if backbone.exact_size(size) else 'NOT aligned'}")
    labels = [transforms.label(e) for e in range(1, transforms.size)]
    print(f"{'stage':<8} " + " ".join(f"{lab:>12}" for lab in labels) + f" {'max':>10}")
    for stage, per in errors.items():
        vals = [per[lab] for lab in labels]
        print(f"{stage:<8} " + " ".join(f"{v:>12.3e}" for v in vals) + f" {max(vals):>10.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
