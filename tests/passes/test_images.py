"""The image pipeline: what it refuses, the exact sizes it makes, what it strips, the quality
floor, determinism, and the shipped designs' passes (small, and verified by openssl)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFilter

from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import (
    ApplePassTemplate,
    Focus,
    ImageError,
    ImageLimits,
    ImageRefusal,
    LoyaltyCard,
    Signer,
    build_pkpass,
    encode_png,
    image_psnr,
    image_ssim,
    load_design,
    open_image,
    prepare_image,
    render_slot,
)
from passes.images import crop_box
from tests.support.pkpass import verify_pkpass

CARDS = Path(__file__).resolve().parents[2] / "templates" / "cards"
SHIPPED = sorted(path.parent.name for path in CARDS.glob("*/design.toml"))
MAX_PASS_BYTES = 60 * 1024


def encoded(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A two-axis gradient with a bright square and grain: many colours, like a photo."""
    image = Image.linear_gradient("L").resize((width, height))
    other = image.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    rgb = Image.merge("RGB", (image, other, Image.new("L", (width, height), 90)))
    disc = Image.new("L", (width, height), 0)
    disc.paste(255, (width // 3, height // 3, width // 2, height // 2))
    rgb.paste((250, 240, 200), mask=disc)
    grain = np.random.default_rng(width * height).normal(0, 1.5, (height, width, 3))
    rgb = Image.fromarray(np.clip(np.asarray(rgb) + grain, 0, 255).astype(np.uint8))
    if mode == "RGBA":
        alpha = Image.linear_gradient("L").point(lambda v: max(v, 40)).resize((width, height))
        rgb.putalpha(alpha)  # translucent, never fully transparent
    return rgb


def chunks(png: bytes) -> list[bytes]:
    names, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        names.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return names


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def linear_rgb_profile() -> bytes:
    """A minimal ICC v2 display profile: sRGB's primaries with a linear (gamma 1.0) curve."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Linear RGB\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(24)
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def refusal(data: bytes, slot: str = "strip", **options: object) -> ImageError:
    with pytest.raises(ImageError) as caught:
        prepare_image(data, slot, field="design.strip", **options)  # type: ignore[arg-type]
    assert caught.value.field == "design.strip"
    assert caught.value.code == "invalid_image"
    return caught.value


class TestRefusals:
    def test_types_other_than_png_jpeg_webp(self) -> None:
        gif = encoded(photo(400, 200).convert("P"), "GIF")
        assert refusal(gif).reason is ImageRefusal.UNKNOWN_TYPE
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
        assert refusal(svg).reason is ImageRefusal.UNKNOWN_TYPE
        assert refusal(b"").reason is ImageRefusal.UNKNOWN_TYPE

    def test_more_bytes_than_the_limit(self) -> None:
        data = encoded(photo(400, 200))
        error = refusal(data, limits=ImageLimits(max_bytes=len(data) - 1))
        assert error.reason is ImageRefusal.TOO_LARGE
        assert prepare_image(data, "icon", field="f", limits=ImageLimits(max_bytes=len(data)))

    def test_png_bomb_is_refused_from_its_header(self) -> None:
        # 80 bytes that declare 100,000 x 100,000 pixels (10 G): never decoded.
        ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
        idat = png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        bomb = b"\x89PNG\r\n\x1a\n" + ihdr + idat + png_chunk(b"IEND", b"")
        assert len(bomb) < 100
        error = refusal(bomb)
        assert error.reason is ImageRefusal.BOMB
        assert "100000x100000" in error.message

    def test_bomb_under_pillows_own_limit_but_over_ours(self) -> None:
        width, height = 10_000, 6_000  # 60 M: Pillow would only warn (its limit is 89 M)
        ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        bomb = b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IEND", b"")
        assert refusal(bomb).reason is ImageRefusal.BOMB

    def test_jpeg_and_webp_bombs(self) -> None:
        jpeg = bytearray(encoded(photo(64, 32), "JPEG"))
        sof = jpeg.index(b"\xff\xc0")
        jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
        assert refusal(bytes(jpeg)).reason is ImageRefusal.BOMB
        webp = bytearray(encoded(photo(64, 32), "WEBP", lossless=True))
        assert webp[12:16] == b"VP8L"
        bits = (16_000 - 1) | (16_000 - 1) << 14
        webp[21:25] = (bits | (webp[24] >> 4 & 0xF) << 28).to_bytes(4, "little")
        assert refusal(bytes(webp)).reason is ImageRefusal.BOMB

    def test_a_side_longer_than_the_limit(self) -> None:
        long = encoded(Image.new("RGB", (4000, 1)))
        error = refusal(long, limits=ImageLimits(max_side=3999))
        assert error.reason is ImageRefusal.BOMB

    def test_broken_and_truncated_files(self) -> None:
        data = encoded(photo(800, 400))
        assert refusal(data[: len(data) // 2]).reason is ImageRefusal.UNREADABLE
        assert refusal(data[:20]).reason is ImageRefusal.UNREADABLE
        assert refusal(b"\xff\xd8\xff\xe0" + b"\0" * 40).reason is ImageRefusal.UNREADABLE
        assert refusal(b"RIFF\0\0\0\0WEBPVP8X").reason is ImageRefusal.UNREADABLE

    @pytest.mark.parametrize(
        "data",
        [
            b"\xff\xd8\xff\xff\xff\xd9",  # fill bytes, then the end: no frame header
            b"\xff\xd8\xff\xd0\xff\xda\0\x08" + bytes(40),  # a scan before any frame header
            b"\xff\xd8\xff\xc0\0\x11\x08\0",  # a frame header cut short
            b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2e" + bytes(12),  # bad VP8L signature
            b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0" + bytes(12),  # bad VP8 start code
            b"RIFF\0\0\0\0WEBPABCD\0\0\0\0" + bytes(12),  # not an image chunk
        ],
    )
    def test_broken_headers(self, data: bytes) -> None:
        assert refusal(data).reason is ImageRefusal.UNREADABLE

    def test_too_small_for_the_slot(self) -> None:
        error = refusal(encoded(photo(300, 100)))  # a strip needs 375 x 123 at 1x
        assert error.reason is ImageRefusal.TOO_SMALL
        assert "375x123" in error.message

    def test_shapes_that_cannot_be_cropped_or_fitted(self) -> None:
        banner = encoded(photo(2000, 100))  # 20:1 -> a square icon keeps 5 % of it
        assert refusal(banner, "icon").reason is ImageRefusal.ASPECT
        tower = encoded(photo(100, 4000))  # 1:40 -> a strip keeps a sliver
        assert refusal(tower).reason is ImageRefusal.ASPECT
        wordmark = encoded(photo(3000, 60))  # fits the logo box as 160 x 3.2 points
        assert refusal(wordmark, "logo").reason is ImageRefusal.ASPECT

    def test_a_phone_photo_still_makes_a_strip(self) -> None:
        portrait = encoded(photo(900, 1600), "JPEG")  # 9:16, 5.4 times taller than a strip
        assert set(prepare_image(portrait, "strip", field="f")) == {
            "strip.png",
            "strip@2x.png",
            "strip@3x.png",
        }

    def test_focal_point_outside_the_picture(self) -> None:
        with pytest.raises(ValueError, match="fractions"):
            Focus(1.5, 0.5)


class TestSizes:
    @pytest.mark.parametrize(
        ("slot", "sizes"),
        [
            ("icon", {"icon.png": (29, 29), "icon@2x.png": (58, 58), "icon@3x.png": (87, 87)}),
            (
                "strip",
                {
                    "strip.png": (375, 123),
                    "strip@2x.png": (750, 246),
                    "strip@3x.png": (1125, 369),
                },
            ),
            ("google_logo", {"google_logo.png": (660, 660)}),
            ("google_hero", {"google_hero.png": (1032, 336)}),
        ],
    )
    def test_exact_slots(self, slot: str, sizes: dict[str, tuple[int, int]]) -> None:
        made = prepare_image(encoded(photo(1200, 900)), slot, field="f")
        assert {name: (png.width, png.height) for name, png in made.items()} == sizes
        for name, png in made.items():
            assert Image.open(io.BytesIO(png.data)).size == sizes[name]
            assert struct.unpack(">II", png.data[16:24]) == sizes[name]

    @pytest.mark.parametrize(("kind", "options"), [("JPEG", {}), ("WEBP", {"quality": 90})])
    def test_jpeg_and_webp_are_read(self, kind: str, options: dict[str, object]) -> None:
        made = prepare_image(encoded(photo(300, 200), kind, **options), "icon", field="f")
        assert [(png.width, png.height) for png in made.values()] == [(29, 29), (58, 58), (87, 87)]
        assert all(png.data.startswith(b"\x89PNG") for png in made.values())

    @pytest.mark.parametrize(
        ("size", "expected"),
        [
            ((800, 400), [(100, 50), (200, 100), (300, 150)]),  # as tall as the box
            ((1600, 250), [(160, 25), (320, 50), (480, 75)]),  # as wide as the box
            ((600, 600), [(50, 50), (100, 100), (150, 150)]),
        ],
    )
    def test_logo_fits_inside_160_by_50_points(
        self, size: tuple[int, int], expected: list[tuple[int, int]]
    ) -> None:
        made = prepare_image(encoded(photo(*size, mode="RGBA")), "logo", field="f")
        assert [(png.width, png.height) for png in made.values()] == expected

    def test_transparent_webp_palette_png_and_16_bit_grey(self) -> None:
        translucent = encoded(photo(200, 100, "RGBA"), "WEBP", quality=90)
        assert translucent[12:16] == b"VP8X"
        assert open_image(translucent, field="f").image.mode == "RGBA"
        paletted = photo(200, 100).convert("P")
        clear = paletted.getpixel((0, 0))  # that pixel's palette entry becomes transparent
        assert open_image(encoded(paletted, transparency=clear), field="f").image.mode == "RGBA"
        opaque = open_image(encoded(photo(200, 100).convert("P")), field="f")
        assert opaque.image.mode == "RGB"
        deep = Image.frombytes("I;16", (80, 50), b"\x80\x80" * 80 * 50)
        grey = open_image(encoded(deep), field="f")
        assert grey.size == (80, 50)
        assert grey.image.getpixel((0, 0)) == (128, 128, 128)

    def test_logo_loses_its_transparent_margins(self) -> None:
        canvas = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
        canvas.paste(photo(400, 100), (300, 450))  # 4:1 mark in a square of nothing
        made = prepare_image(encoded(canvas), "logo", field="f")
        assert [(png.width, png.height) for png in made.values()] == [
            (160, 40),
            (320, 80),
            (480, 120),
        ]

    def test_focal_point_chooses_what_a_crop_keeps(self) -> None:
        halves = Image.new("RGB", (400, 200), (220, 30, 30))
        halves.paste((30, 30, 220), (200, 0, 400, 200))
        source = open_image(encoded(halves), field="f")
        left = render_slot(source, "icon", field="f", focus=Focus(0.0, 0.5))["icon.png"]
        right = render_slot(source, "icon", field="f", focus=Focus(1.0, 0.5))["icon.png"]
        assert Image.open(io.BytesIO(left.data)).convert("RGB").getpixel((14, 14)) == (220, 30, 30)
        assert Image.open(io.BytesIO(right.data)).convert("RGB").getpixel((14, 14)) == (30, 30, 220)

    def test_crop_box_stays_inside_the_picture(self) -> None:
        assert crop_box((400, 200), 1.0, Focus(0.5, 0.5)) == (100.0, 0.0, 300.0, 200.0)
        assert crop_box((400, 200), 1.0, Focus(0.0, 0.0)) == (0.0, 0.0, 200.0, 200.0)
        assert crop_box((400, 200), 1.0, Focus(1.0, 1.0)) == (200.0, 0.0, 400.0, 200.0)
        assert crop_box((300, 600), 3.0, Focus(0.5, 0.9)) == (0.0, 490.0, 300.0, 590.0)
        assert crop_box((300, 600), 3.0, Focus(0.5, 1.0)) == (0.0, 500.0, 300.0, 600.0)


class TestMetadata:
    def test_exif_icc_and_text_never_reach_the_output(self) -> None:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 15"  # Model
        exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        jpeg = encoded(photo(1200, 800), "JPEG", exif=exif.tobytes(), icc_profile=icc)
        source = open_image(jpeg, field="f")
        assert source.size == (800, 1200)  # turned upright
        assert source.image.info == {}
        for png in render_slot(source, "icon", field="f").values():
            assert set(chunks(png.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
            assert b"PhoneMaker" not in png.data
            assert Image.open(io.BytesIO(png.data)).info.keys() <= {"transparency"}

    def test_png_text_and_exif_chunks_are_dropped(self) -> None:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Someone")
        info.add_itxt("Comment", "secret", lang="en")
        data = encoded(photo(800, 800, "RGBA"), pnginfo=info, exif=Image.Exif().tobytes())
        for png in prepare_image(data, "icon", field="f").values():
            assert b"secret" not in png.data
            assert b"Someone" not in png.data
            assert set(chunks(png.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}

    def test_a_broken_colour_profile_is_ignored(self) -> None:
        flat = Image.new("RGB", (60, 60), (10, 120, 200))
        source = open_image(encoded(flat, icc_profile=b"not a profile"), field="f")
        assert source.image.getpixel((0, 0)) == (10, 120, 200)
        assert source.image.info == {}

    def test_colour_profiles_are_converted_to_srgb(self) -> None:
        # Linear-light grey 128 is sRGB grey 188: the pixels are converted, not read as sRGB.
        flat = Image.new("RGB", (400, 400), (128, 128, 128))
        tagged = open_image(encoded(flat, icc_profile=linear_rgb_profile()), field="f")
        plain = open_image(encoded(flat), field="f")
        assert plain.image.getpixel((0, 0)) == (128, 128, 128)
        red, green, blue = tagged.image.getpixel((0, 0))  # type: ignore[misc]
        assert 180 <= red <= 195
        assert abs(red - green) <= 2
        assert abs(red - blue) <= 2
        assert tagged.image.info == {}


class TestQuality:
    def test_the_floor_decides_how_many_colours(self) -> None:
        # Card art with many colours: a shipped strip, softened.
        shipped = Image.open(CARDS / "florist" / "strip@2x.png").convert("RGB")
        picture = shipped.filter(ImageFilter.GaussianBlur(1.5))
        rough = encode_png(picture, quality_floor=0.95)
        fine = encode_png(picture, quality_floor=0.995)
        assert rough.colours is not None
        assert fine.colours is not None
        assert rough.colours < fine.colours
        assert rough.ssim >= 0.95
        assert fine.ssim >= 0.995
        assert len(rough.data) < len(fine.data)
        decoded = Image.open(io.BytesIO(fine.data))
        assert decoded.mode == "P"
        assert image_ssim(picture, decoded) == pytest.approx(fine.ssim)
        assert image_psnr(picture, decoded) == pytest.approx(fine.psnr)

    def test_below_the_floor_at_256_colours_stays_full_colour(self) -> None:
        picture = photo(300, 200)
        kept = encode_png(picture, quality_floor=1.0)
        assert kept.colours is None
        assert kept.ssim == 1.0
        assert Image.open(io.BytesIO(kept.data)).convert("RGB").tobytes() == picture.tobytes()

    def test_few_colours_are_kept_exactly(self) -> None:
        flat = Image.new("RGBA", (200, 100), (200, 40, 40, 255))
        flat.paste((20, 20, 200, 128), (50, 0, 150, 100))
        made = encode_png(flat, quality_floor=1.0)
        assert made.colours == 2
        assert made.ssim == 1.0
        assert Image.open(io.BytesIO(made.data)).convert("RGBA").tobytes() == flat.tobytes()

    def test_measures(self) -> None:
        picture = photo(64, 64)
        assert image_ssim(picture, picture) == pytest.approx(1.0)
        assert image_psnr(picture, picture) == float("inf")
        with pytest.raises(ValueError, match="sizes differ"):
            image_ssim(picture, photo(64, 32))
        with pytest.raises(ValueError, match="quality_floor"):
            encode_png(picture, quality_floor=1.5)

    def test_same_input_same_bytes(self) -> None:
        art = Image.open(CARDS / "coffee" / "strip@2x.png").convert("RGB")
        data = encoded(art.filter(ImageFilter.GaussianBlur(1.5)), "JPEG")
        first = prepare_image(data, "strip", field="f")
        second = prepare_image(data, "strip", field="f")
        assert {n: p.data for n, p in first.items()} == {n: p.data for n, p in second.items()}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_design_passes_are_small_and_verify(
    name: str, signer: Signer, root_ca: Path, card: LoyaltyCard
) -> None:
    design = load_design(CARDS / name)
    assert {"icon.png", "logo.png", "strip.png"} <= set(design.images)
    template = ApplePassTemplate.create(
        design, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )
    data = build_pkpass(card, template, signer)
    verified = verify_pkpass(data, root_ca)
    assert {n for n in verified.names if n.endswith(".png")} == {
        f"{slot}{scale}.png" for slot in ("icon", "logo", "strip") for scale in ("", "@2x", "@3x")
    }
    assert len(data) <= MAX_PASS_BYTES, f"{name}: {len(data)} bytes"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_images_went_through_the_pipeline(name: str) -> None:
    """Re-encoding a shipped PNG finds nothing to gain: it is already the pipeline's output."""
    for path in sorted((CARDS / name).glob("*.png")):
        data = path.read_bytes()
        assert set(chunks(data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, path.name
        assert Image.open(io.BytesIO(data)).mode == "P", path.name
