"""pix2pixHD's networks: NVIDIA's state dicts (from an independent reading of its networks.py, random weights) load
with nothing passed, and the forwards agree with NVIDIA's at float32 tolerances argued from float64 forwards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nvidia_pix2pixhd import Encoder, GlobalGenerator, LocalEnhancer, MultiscaleDiscriminator, weights_init
from PIL import Image
from street_scenes import street_scene

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.inference.critic import realism_map
from pix2pix_core.networks import (
    FeatureEncoderConfig,
    LocalEnhancerConfig,
    MultiscalePatchGANConfig,
    ResnetConfig,
)
from pix2pix_core.weights.architecture import infer_architecture


def _nvidia(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return net.apply(weights_init).eval()


def _saved(net: torch.nn.Module, tmp_path, name: str = "latest_net_G.pth"):
    path = tmp_path / name
    torch.save(net.state_dict(), path)
    return path


def _assert_same_forward(ours, theirs, *inputs) -> None:
    """Both nets in float64 agree to rounding (the same arithmetic); in float32, ours is no further from the float64
    result than four times NVIDIA's own float32 forward is (kernels sum in different orders, not more)."""
    exact = theirs.double()(*[x.double() if x.is_floating_point() else x for x in inputs])
    ours_exact = ours.double()(*[x.double() if x.is_floating_point() else x for x in inputs])
    theirs32 = theirs.float()(*inputs)
    ours32 = ours.float()(*inputs)
    for a, b, c, d in zip(_flat(ours_exact), _flat(exact), _flat(ours32), _flat(theirs32), strict=True):
        assert a.shape == b.shape and (a - b).abs().max() < 1e-9
        assert (c.double() - b).abs().max() <= 4 * (d.double() - b).abs().max() + 1e-7


def _flat(output) -> list[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    return [t for item in output for t in _flat(item)]


def test_a_global_generator_loads_as_a_resnet_with_four_downsamplings(tmp_path):
    theirs = _nvidia(GlobalGenerator(36, 3, ngf=8, n_down=4, n_blocks=2))
    ours = p2p.load_generator(_saved(theirs, tmp_path))
    assert ours.config == ResnetConfig(in_channels=36, out_channels=3, ngf=8, n_blocks=2, bias=True,
                                       n_downsampling=4)
    assert ours.multiple == 16
    _assert_same_forward(ours, theirs, torch.rand(1, 36, 48, 80))


@pytest.mark.parametrize("n_local", [1, 2])
def test_a_local_enhancer_loads_with_every_count_inferred(tmp_path, n_local):
    theirs = _nvidia(LocalEnhancer(36, 3, ngf=4, n_down=3, n_blocks_global=2, n_local=n_local, n_blocks_local=2))
    ours = p2p.load_generator(_saved(theirs, tmp_path))
    assert ours.config == LocalEnhancerConfig(in_channels=36, out_channels=3, ngf=4, n_downsample_global=3,
                                              n_blocks_global=2, n_local_enhancers=n_local, n_blocks_local=2)
    assert ours.multiple == 2 ** (3 + n_local)
    _assert_same_forward(ours, theirs, torch.rand(2, 36, 64, 96))


@pytest.mark.parametrize("interm", [True, False])
def test_a_multiscale_discriminator_returns_nvidias_lists(tmp_path, capsys, interm):
    theirs = _nvidia(MultiscaleDiscriminator(39, ndf=8, n_layers=3, num_D=3, interm=interm))
    path = _saved(theirs, tmp_path, "latest_net_D.pth")
    ours = p2p.load_discriminator(path)
    assert cli_main(["info", str(path)]) == 0
    assert "70 px receptive field at full size, twice that at each of 2 coarser scale(s)" in capsys.readouterr().out
    assert ours.config == MultiscalePatchGANConfig(in_channels=39, ndf=8, n_layers=3, num_D=3,
                                                   intermediate_features=interm)
    with pytest.raises(p2p.InputError, match="multiscale discriminator, which judges label maps"):
        realism_map(ours, torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64), 36)
    x = torch.rand(1, 39, 70, 100)  # not a power of two: every scale's padding and pooling edges count
    assert [len(scale) for scale in ours(x)] == [5 if interm else 1] * 3
    _assert_same_forward(ours, theirs, x)


def test_the_feature_encoder_averages_over_each_instance_as_nvidias_loop(tmp_path, capsys):
    theirs = _nvidia(Encoder(3, 3, ngf=4, n_down=2))
    path = _saved(theirs, tmp_path, "latest_net_E.pth")
    ours = p2p.load_encoder(path)
    assert ours.config == FeatureEncoderConfig(in_channels=3, out_channels=3, ngf=4, n_downsampling=2)
    with pytest.raises(p2p.WrongRole, match="holds an encoder, not a generator.*load_encoder"):
        p2p.load_generator(path)
    assert cli_main(["info", str(path)]) == 0 and "encoder 'feature_encoder'" in capsys.readouterr().out
    instances = torch.zeros(2, 1, 32, 48, dtype=torch.long)
    instances[:, :, 8:20, 4:30] = 26001  # a car (Cityscapes ids: label * 1000 + instance)
    instances[:, :, 20:, 30:] = 7  # road, a class without instances
    instances[1, :, :4] = 26002  # a second car in the second image only
    _assert_same_forward(ours, theirs, torch.rand(2, 3, 32, 48), instances)


@pytest.mark.parametrize(("nvidia", "expected"), [
    (lambda: GlobalGenerator(36, 3, ngf=64, n_down=4, n_blocks=9),  # label2city_512p
     ResnetConfig(in_channels=36, out_channels=3, ngf=64, n_blocks=9, bias=True, n_downsampling=4)),
    (lambda: LocalEnhancer(36, 3, ngf=32, n_down=4, n_blocks_global=9, n_local=1, n_blocks_local=3),  # 1024p
     LocalEnhancerConfig(in_channels=36, out_channels=3, ngf=32)),
    (lambda: MultiscaleDiscriminator(39, ndf=64, n_layers=3, num_D=2, interm=True), MultiscalePatchGANConfig()),
])
def test_the_label2city_networks_are_inferred_at_their_real_shapes(nvidia, expected):
    with torch.device("meta"):
        state = nvidia().state_dict()
    assert infer_architecture(state).config == expected


# ------------------------------------------------------------------------------------------------- label maps in
def test_label_maps_are_encoded_as_nvidias_encode_input():
    from nvidia_pix2pixhd import encode_input

    from pix2pix_core.imaging.labels import encode_label_map

    labels, instances = street_scene(100, 70)
    assert torch.equal(encode_label_map(labels, 35, instances), encode_input(labels, instances, 35))
    assert torch.equal(encode_label_map(labels, 35), encode_input(labels, None, 35))
    boundary = encode_label_map(labels, 35, instances)[0, 35]
    assert boundary[50, 29] == boundary[50, 30] == 1  # the two touching cars are told apart


def test_label_maps_translate_as_nvidias_generator_at_any_size(tmp_path):
    """translate_labels = NVIDIA's forward of its encoding; at a size off the multiple, of the encoding
    reflect-padded to it and cropped back (the engine's padding)."""
    from nvidia_pix2pixhd import encode_input

    from pix2pix_core.inference.labels import translate_labels

    theirs = _nvidia(LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_local=1, n_blocks_local=1))
    ours = p2p.load_generator(_saved(theirs, tmp_path))
    for width, height in ((96, 64), (100, 70)):
        labels, instances = street_scene(width, height)
        encoded = encode_input(labels, instances, 35)
        padded = torch.nn.functional.pad(encoded, (0, -width % 8, 0, -height % 8), mode="reflect")
        with torch.no_grad():
            expected = (theirs.double()(padded.double())[..., :height, :width] + 1) / 2
        got = translate_labels(ours.float(), labels, instances, fit="native")
        assert (got.double() - expected).abs().max() < 1e-5  # float32 against float64: a few ulps of 0..1


def _png(path, ids: torch.Tensor, bits: int = 8):
    array = ids[0, 0].numpy().astype("uint8" if bits == 8 else "uint16")
    Image.fromarray(array).save(path)
    return path


def test_the_cli_translates_label_maps_with_their_instance_maps(tmp_path, capsys):
    """`pix2pix translate labels.png --instance-map inst.png`: the picture translate_labels gives (8-bit PNG
    rounding); a folder of Cityscapes-named maps with a folder of instance maps; a colour drawing in the Cityscapes
    palette is its label ids."""
    from pix2pix_core.imaging.palettes import CITYSCAPES
    from pix2pix_core.inference.labels import translate_labels

    torch.manual_seed(0)
    theirs = _nvidia(LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_local=1, n_blocks_local=1))
    model = _saved(theirs, tmp_path)
    labels, instances = street_scene(100, 70)
    expected = translate_labels(p2p.load_generator(model), labels, instances, fit="native")[0]
    (tmp_path / "label").mkdir()
    (tmp_path / "inst").mkdir()
    label_file = _png(tmp_path / "label" / "x_gtFine_labelIds.png", labels)
    _png(tmp_path / "inst" / "x_gtFine_instanceIds.png", instances, bits=16)
    for inputs, instance_map in ((label_file, tmp_path / "inst" / "x_gtFine_instanceIds.png"),
                                 (tmp_path / "label", tmp_path / "inst")):
        out = tmp_path / f"out_{inputs.name}"
        assert cli_main(["translate", str(inputs), "--model", str(model), "--instance-map", str(instance_map),
                         "--out", str(out)]) == 0
        written = torch.from_numpy(np.array(Image.open(out / "x_gtFine_labelIds.png"))).permute(
            2, 0, 1).float() / 255
        assert (written - expected).abs().max() <= 0.5 / 255 + 1e-6

    colours = torch.tensor([next(c.rgb for c in CITYSCAPES.colours if c.label_id == int(i)) for i in labels.flatten()])
    drawing = tmp_path / "drawing.png"
    Image.fromarray(colours.reshape(*labels.shape[-2:], 3).numpy().astype("uint8")).save(drawing)
    assert cli_main(["translate", str(drawing), "--model", str(model), "--palette", "cityscapes", "--label-nc", "35",
                     "--out", str(tmp_path / "drawn")]) == 0
    drawn = torch.from_numpy(np.array(Image.open(tmp_path / "drawn" / "drawing.png"))).permute(
        2, 0, 1).float() / 255
    from_labels = translate_labels(p2p.load_generator(model), labels, label_nc=35, fit="native")[0]
    assert (drawn - from_labels).abs().max() <= 0.5 / 255 + 1e-6  # no instance map: the labels' own boundaries
    capsys.readouterr()


def test_bad_label_maps_are_refused_by_name(tmp_path, capsys):
    from pix2pix_core.inference.labels import translate_labels

    theirs = _nvidia(LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_local=1, n_blocks_local=1))
    g = p2p.load_generator(_saved(theirs, tmp_path))
    labels, instances = street_scene(100, 70)
    with pytest.raises(p2p.InputError, match="holds id 40 .* knows 35 labels, ids 0..34"):
        translate_labels(g, labels.clamp(max=40).masked_fill(labels == 26, 40), instances)
    with pytest.raises(p2p.InputError, match="the instance map is 50x70 but the label map 100x70"):
        translate_labels(g, labels, instances[..., :50])
    with pytest.raises(p2p.InputError, match="36 input channels: 35 labels and the instance boundaries"):
        translate_labels(g, labels)
    with pytest.raises(p2p.InputError, match="takes 35 labels and no instance boundaries"):
        translate_labels(p2p.load_generator(_saved(_nvidia(LocalEnhancer(35, 3, ngf=4, n_down=2, n_blocks_global=1,
                                                                         n_blocks_local=1)), tmp_path, "g35.pth")),
                         labels, instances, label_nc=35)
    photo = tmp_path / "photo.png"
    Image.new("RGB", (100, 70), (128, 64, 128)).save(photo)
    assert cli_main(["translate", str(photo), "--model", str(tmp_path / "latest_net_G.pth"), "--label-nc", "35",
                     "--out", str(tmp_path / "out")]) == 1
    assert "is a colour picture, not a label map of ids" in capsys.readouterr().err
    off_palette = tmp_path / "off.png"
    Image.new("RGB", (100, 70), (1, 2, 3)).save(off_palette)
    assert cli_main(["translate", str(off_palette), "--model", str(tmp_path / "latest_net_G.pth"), "--palette",
                     "cityscapes", "--label-nc", "35", "--out", str(tmp_path / "out2")]) == 1
    assert "7000 pixel(s) have colours outside the cityscapes palette (the first, RGB (1, 2, 3)" in \
        capsys.readouterr().err


def test_convert_records_the_label_layout_so_it_is_never_asked_again(tmp_path, capsys):
    """`pix2pix convert latest_net_G.pth --label-nc 35`: config.json says 35 labels with instance boundaries; the
    folder then translates a label map with or without its instance map, nothing more given."""
    import json

    from pix2pix_core.inference.labels import translate_labels

    theirs = _nvidia(LocalEnhancer(36, 3, ngf=4, n_down=2, n_blocks_global=1, n_local=1, n_blocks_local=1))
    path = _saved(theirs, tmp_path)
    assert cli_main(["convert", str(path), "--out", str(tmp_path / "label2city"), "--label-nc", "35"]) == 0
    io = json.loads((tmp_path / "label2city" / "config.json").read_text())["io"]
    assert (io["input_space"], io["label_nc"], io["instance_boundaries"]) == ("labels", 35, True)
    card = (tmp_path / "label2city" / "README.md").read_text()
    assert "**Pix2Pix Translate Labels**" in card and "p2p.translate_labels(g, read_label_ids(" in card
    assert "wang2018pix2pixHD" in card and "isola2017image" in card
    g = p2p.load_generator(tmp_path / "label2city")
    labels, instances = street_scene(100, 70)
    assert torch.equal(translate_labels(g, labels, instances),
                       translate_labels(p2p.load_generator(path), labels, instances))
    assert translate_labels(g, labels).shape == (1, 3, 70, 100)  # the labels' own boundaries
    assert cli_main(["convert", str(path), "--out", str(tmp_path / "x"), "--label-nc", "30"]) == 2
    assert "label_nc 30 does not fit this translator: it takes 36 input channels" in capsys.readouterr().err
    assert cli_main(["export", str(tmp_path / "label2city"), "--out", str(tmp_path / "g.onnx")]) == 2
    assert "does not export to ONNX yet" in capsys.readouterr().err and not (tmp_path / "g.onnx").exists()


@pytest.mark.slow
def test_a_label_map_translated_in_tiles_matches_the_whole(tmp_path):
    """fit tiled on a street of 16 labels (absent labels left out of the input convolutions): within 35 dB of the
    native translation, as the engine's tiles are for images."""
    from pix2pix_core.inference.labels import translate_labels
    from pix2pix_core.networks import build_network, init_weights

    torch.manual_seed(0)
    g = init_weights(build_network(LocalEnhancerConfig(ngf=8, n_downsample_global=3, n_blocks_global=2,
                                                       n_blocks_local=1))).eval()
    labels, instances = street_scene(512, 256)
    native = translate_labels(g, labels, instances, fit="native")
    tiled = translate_labels(g, labels, instances, fit="tiled", tile_size=256, tile_overlap=64)
    assert 10 * torch.log10(1 / ((native - tiled) ** 2).mean()) > 35


def _clusters(path, feat_num: int = 3) -> dict:
    """A cluster file as NVIDIA's encode_features.py saves it: np.save of {label: [k, feat_num] centres}."""
    rng = np.random.default_rng(0)
    centres = {7: rng.normal(size=(4, feat_num)), 26: rng.normal(size=(10, feat_num)), 11: rng.normal(size=(1, 3))}
    np.save(path, centres)
    return centres


def test_a_translator_with_instance_features_samples_them_from_its_cluster_file(tmp_path, capsys):
    """NVIDIA's label2city_1024p_feat layout: latest_net_G.pth takes 35 labels + boundaries + 3 features and
    features_clustered_010.npy lies beside it. Found there, each instance gets one centre of its label's clusters
    over all its pixels (cars: id // 1000), labels without clusters zeros, and the picture is NVIDIA's generator
    on [one-hot, boundaries, features]; another --feature-seed draws other centres."""
    from nvidia_pix2pixhd import encode_input

    from pix2pix_core.weights.feature_clusters import read_feature_clusters, sample_instance_features

    theirs = _nvidia(GlobalGenerator(39, 3, ngf=4, n_down=2, n_blocks=1))
    model = _saved(theirs, tmp_path)
    centres = _clusters(tmp_path / "features_clustered_010.npy")
    labels, instances = street_scene(96, 64)
    _png(tmp_path / "labels.png", labels)
    _png(tmp_path / "inst.png", instances, bits=16)
    clusters = read_feature_clusters(tmp_path / "features_clustered_010.npy")
    features = sample_instance_features(instances, clusters, torch.Generator().manual_seed(0))
    for instance in torch.unique(instances).tolist():
        label = instance if instance < 1000 else instance // 1000
        values = features[0, :, instances[0, 0] == instance]
        assert (values == values[:, :1]).all()
        if label in centres:
            assert any(np.allclose(values[:, 0].numpy(), c, atol=1e-6) for c in centres[label])
        else:
            assert (values == 0).all()
    with torch.no_grad():
        expected = (theirs(torch.cat([encode_input(labels, instances, 35), features], 1))[0] + 1) / 2
    pictures = []
    for seed in ("0", "1"):
        out = tmp_path / f"out{seed}"
        assert cli_main(["translate", str(tmp_path / "labels.png"), "--model", str(model), "--instance-map",
                         str(tmp_path / "inst.png"), "--feature-seed", seed, "--out", str(out)]) == 0
        pictures.append(torch.from_numpy(np.array(Image.open(out / "labels.png"))).permute(2, 0, 1).float() / 255)
    assert (pictures[0] - expected.clamp(0, 1)).abs().max() <= 0.5 / 255 + 1e-5
    assert (pictures[0] - pictures[1]).abs().max() > 0.05


def test_a_feature_translator_without_its_clusters_and_a_pickle_that_runs_code_are_refused(tmp_path, capsys):
    import os
    import pickle

    theirs = _nvidia(GlobalGenerator(39, 3, ngf=4, n_down=2, n_blocks=1))
    model = _saved(theirs, tmp_path)
    labels, instances = street_scene(96, 64)
    _png(tmp_path / "labels.png", labels)
    _png(tmp_path / "inst.png", instances, bits=16)
    assert cli_main(["translate", str(tmp_path / "labels.png"), "--model", str(model), "--instance-map",
                     str(tmp_path / "inst.png"), "--label-nc", "35", "--out", str(tmp_path / "out")]) == 2
    assert "instance features (NVIDIA's --instance_feat), if it was trained with them: give its feature-cluster " \
           "file" in capsys.readouterr().err

    class RunsCode:  # what a hostile "cluster file" would hold: unpickling it calls os.system
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'pwned'}",)

    hostile = tmp_path / "hostile.npy"
    with open(hostile, "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "|O", "fortran_order": False, "shape": ()})
        pickle.dump(np.array({7: RunsCode()}, dtype=object), file, protocol=2)
    assert cli_main(["translate", str(tmp_path / "labels.png"), "--model", str(model), "--instance-map",
                     str(tmp_path / "inst.png"), "--cluster-file", str(hostile), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "is not a pix2pixHD feature-cluster file" in err and "posix.system is not part" in err
    assert not (tmp_path / "pwned").exists()
