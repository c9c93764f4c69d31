import numpy as np
import pytest

from tracker import boxes as B


def test_xywh_xyxy_round_trip():
    b = np.array([[10.5, 20.0, 30.0, 40.25], [0, 0, 1, 1]])
    np.testing.assert_allclose(B.xyxy_to_xywh(B.xywh_to_xyxy(b)), b)
    np.testing.assert_allclose(B.xywh_to_xyxy(b[0]), [10.5, 20.0, 40.5, 60.25])


def test_xywh_cxcywh_round_trip():
    b = np.array([3.0, 4.0, 10.0, 6.0])
    np.testing.assert_allclose(B.xywh_to_cxcywh(b), [8.0, 7.0, 10.0, 6.0])
    np.testing.assert_allclose(B.cxcywh_to_xywh(B.xywh_to_cxcywh(b)), b)


def test_rotated_box_polygon_and_bounding_box():
    poly = B.rotated_to_polygon([50.0, 40.0, 20.0, 10.0, 0.0])
    np.testing.assert_allclose(poly, [40, 35, 60, 35, 60, 45, 40, 45], atol=1e-9)
    np.testing.assert_allclose(B.polygon_to_xywh(poly), [40, 35, 20, 10], atol=1e-9)
    # 90 degrees swaps the extents
    np.testing.assert_allclose(B.polygon_to_xywh(B.rotated_to_polygon([50, 40, 20, 10, 90])),
                               [45, 30, 10, 20], atol=1e-9)
    # 45 degrees: the box's x axis points up-right on screen (counter-clockwise, y down)
    p = B.rotated_to_polygon([0, 0, 2, 0, 45]).reshape(4, 2)
    right_mid = (p[1] + p[2]) / 2
    assert right_mid[0] > 0 and right_mid[1] < 0


def test_iou_values():
    assert B.iou_xywh([0, 0, 10, 10], [0, 0, 10, 10]) == pytest.approx(1.0)
    assert B.iou_xywh([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    assert B.iou_xywh([0, 0, 10, 10], [20, 20, 5, 5]) == 0.0


@pytest.mark.parametrize("text", ["1,2,3", "1,2,3,4,5", "a,b,c,d", "1,2,nan,4", ""])
def test_parse_box_rejects_malformed(text):
    with pytest.raises(ValueError, match="box"):
        B.parse_box(text)


def test_parse_box_accepts_commas_and_spaces():
    np.testing.assert_allclose(B.parse_box("1, 2 3,4.5"), [1, 2, 3, 4.5])


def test_box_must_overlap_image_and_have_size():
    B.check_box_in_image([10, 10, 5, 5], 100, 100)
    with pytest.raises(ValueError, match="outside"):
        B.check_box_in_image([200, 10, 5, 5], 100, 100)
    with pytest.raises(ValueError, match="positive"):
        B.check_box_in_image([10, 10, 0, 5], 100, 100)
    with pytest.raises(ValueError, match="positive"):
        B.check_box_in_image([10, 10, 5, -3], 100, 100)
