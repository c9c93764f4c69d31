"""Save the attention maps of an attentive group backbone for one frame, as images.

    python tools/attention.py IMAGE [--box x,y,w,h] [--config C | --checkpoint P] [--out DIR]

With ``--box`` the search crop the tracker would take around that target is used (context and
``instance_size`` from the config); without it, the image's centre square resized to
``instance_size``. For every attention module (e.g. ``layer1.0.attention``) writes
``DIR/<module>.png``: the crop, the spatial attention averaged over the group, and the map of
every group element, each upsampled to the crop and shown as a heat map. Prints the mean channel
attention per group element.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2
import torch

from tracker.boxes import check_box_in_image, parse_box, xywh_to_cxcywh
from tracker.commands.common import add_model_arguments, entry, model_from_args, setup_logging
from tracker.crops import center_square, crop_square, mean_color, template_side, to_tensor
from tracker.errors import InputError
from tracker.evaluation.figures import attention_row
from tracker.video import read_image

log = logging.getLogger("eqtrack.attention")


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack attention ../shared/data/photos/mate-"
                                        "Aqua.jpg --box 100,80,60,40 --config "
                                        "configs/siamfc_p4_att_resnet22.yaml --out attention_maps"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image", help="a frame (jpg/png)")
    p.add_argument("--box", help="target box x,y,w,h (pixels): crop the tracker's search region")
    p.add_argument("--out", default="attention_out", help="output folder")
    add_model_arguments(p, backend=False)
    args = p.parse_args(argv)
    setup_logging()
    if not Path(args.image).is_file():
        raise InputError(f"image '{args.image}' not found")
    img = read_image(args.image)
    if img is None:
        raise InputError(f"image '{args.image}' cannot be decoded")
    model, cfg = model_from_args(args)
    backbone = model.backbone.eval()
    if not hasattr(backbone, "attention_maps"):
        raise InputError(f"backbone {cfg.model.backbone} has no attention "
                         f"(use an attentive one, e.g. configs/siamfc_p4_att_resnet22.yaml)")
    size = cfg.tracking.instance_size
    if args.box:
        box = parse_box(args.box)
        check_box_in_image(box, img.shape[1], img.shape[0])
        cx, cy, w, h = xywh_to_cxcywh(box)
        side = template_side(w, h, cfg.tracking.context) * size / cfg.tracking.exemplar_size
        crop = crop_square(img, (cx, cy), side, size, mean_color(img))
    else:
        crop = center_square(img, size)
    with torch.inference_mode():
        maps = backbone.attention_maps(to_tensor([crop]))
    if not maps:
        raise InputError(f"backbone {cfg.model.backbone} has attention switched off in every "
                         f"stage (model.backbone_args.attention)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, m in maps.items():
        spatial = m["spatial"][0].numpy()  # [|G|, h, w]
        path = out / f"{name}.png"
        if not cv2.imwrite(str(path), attention_row(crop, spatial, backbone.group)):
            raise InputError(f"cannot write '{path}'")
        channel = m["channel"][0].mean(0).numpy()
        print(f"{name}: spatial {spatial.shape[-1]}x{spatial.shape[-2]}, attention range "
              f"{spatial.min():.3f}..{spatial.max():.3f}; mean channel attention per group "
              f"element: {' '.join(f'{c:.3f}' for c in channel)} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
