"""Training pix2pixHD: every step is NVIDIA's (an independent reading of pix2pixHD_model.py and train.py, in
float64), the global-then-local schedule is NVIDIA's, resume is exact, the CLI trains on NVIDIA's folder layout
and its translator translates label maps; bad data is refused by name. The VGG is a random one (no network here)."""

from __future__ import annotations

import copy
import itertools
import json

import pytest
import torch
from nvidia_pix2pixhd import (
    Encoder,
    GlobalGenerator,
    LocalEnhancer,
    MultiscaleDiscriminator,
    Vgg19,
    local_enhancer_parameters,
    train_step,
)
from PIL import Image
from street_scenes import street_photo, street_scene, write_street_dataset

import pix2pix_core as p2p
from pix2pix_core.cli import main as cli_main
from pix2pix_core.imaging.files import load_image
from pix2pix_core.imaging.labels import read_label_ids
from pix2pix_core.inference.labels import draw_features, encode_labels
from pix2pix_core.training.instance_features import cluster_features, instance_vectors, kmeans
from pix2pix_core.training.label_data import label_map_dataset
from pix2pix_core.training.loop import TrainCallbacks
from pix2pix_core.training.pix2pixhd import Pix2PixHDConfig, Pix2PixHDTrainer
from pix2pix_core.training.vgg import VGG_FILE, load_vgg
from pix2pix_core.weights.feature_clusters import read_feature_clusters
from pix2pix_core.weights.loader import load_encoder

TINY = {"ngf": 8, "ndf": 8, "n_downsample_global": 2, "n_blocks": 1, "n_layers": 2, "label_nc": 34, "vgg": "random",
        "load_size": 64, "checkpoint_every": 1000, "sample_every": 1000}


@pytest.fixture(scope="module")
def streets(tmp_path_factory):
    return write_street_dataset(tmp_path_factory.mktemp("streets"), 4, 128, 64)


def _trainer(folder, out, **settings) -> Pix2PixHDTrainer:
    config = Pix2PixHDConfig(**{**TINY, **settings})
    trainer = Pix2PixHDTrainer(config, label_map_dataset(folder, config), out, resume=False)
    trainer._prepare_run()
    return trainer


def _nvidia_networks(trainer: Pix2PixHDTrainer, local: bool):
    """NVIDIA's G, D and VGG holding our initial weights, all in float64 (state dicts load key for key)."""
    c = trainer.config
    g_in = c.input_channels + (c.feat_num if c.instance_feat else 0)
    if local:
        g = LocalEnhancer(g_in, 3, c.ngf, c.n_downsample_global, c.n_blocks, c.n_local_enhancers, c.n_blocks_local)
    else:
        g = GlobalGenerator(g_in, 3, c.ngf, c.n_downsample_global, c.n_blocks)
    d = MultiscaleDiscriminator(c.input_channels + 3, c.ndf, c.n_layers, c.num_D, interm=True)
    vgg = Vgg19()
    for theirs, ours in ((g, trainer.generator), (d, trainer.discriminator), (vgg, trainer.vgg_loss.vgg)):
        theirs.load_state_dict(ours.state_dict())
    return g.double(), d.double(), vgg.double()


def _batches(trainer: Pix2PixHDTrainer, steps: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(a.double(), b.double()) for a, b in itertools.islice(trainer._loader(), steps)]


def _adam(parameters):
    return torch.optim.Adam(parameters, lr=2e-4, betas=(0.5, 0.999))


def _assert_same_parameters(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Equal to within 1e-8, 1/20,000 of one Adam step (lr 2e-4). Not 1e-15: a convolution bias followed by an
    instance norm has no gradient but float64 rounding (~1e-17), which Adam divides by eps 1e-8 into steps of up to
    ~1e-10 that differ between two summation orders."""
    theirs_by_name = dict(theirs.named_parameters())
    for name, value in ours.named_parameters():
        assert (value - theirs_by_name[name]).abs().max() < 1e-8, name


def test_a_training_step_is_nvidias(streets, tmp_path):
    """Two steps on the same batches: the losses (GAN summed over scales, feature matching 4/(n+1) x 1/num_D x 10,
    VGG 1/32..1 x 10, halved D) and every weight after Adam agree with NVIDIA's to float64 rounding."""
    trainer = _trainer(streets, tmp_path / "run", batch_size=2)
    g, d, vgg = _nvidia_networks(trainer, local=False)
    for net in (trainer.generator, trainer.discriminator, trainer.vgg_loss):
        net.double()
    opt_g, opt_d = _adam(g.parameters()), _adam(d.parameters())
    for labels, photos in _batches(trainer, 2):
        theirs = train_step(g, d, vgg, opt_g, opt_d, labels, photos, n_layers_d=2, num_d=2)
        ours = trainer._step(labels, photos)
        trainer.step += 1
        for name, value in theirs.items():
            assert ours[name] == pytest.approx(value, rel=1e-10), name
    _assert_same_parameters(trainer.generator, g)
    _assert_same_parameters(trainer.discriminator, d)
    assert trainer.history == [] and ours["feat"] > 0 and ours["vgg"] > 0


def test_a_training_step_with_instance_features_is_nvidias(streets, tmp_path):
    """--instance_feat: the encoder (trained in G's Adam) encodes the real photo, its instance means follow the label
    map into G but not into D; two steps agree with NVIDIA's, the encoder's weights included."""
    trainer = _trainer(streets, tmp_path / "run", instance_feat=True, nef=4, n_downsample_E=2)
    g, d, vgg = _nvidia_networks(trainer, local=False)
    e = Encoder(3, 3, ngf=4, n_down=2)
    e.load_state_dict(trainer.encoder.state_dict())
    e.double()
    for net in (trainer.generator, trainer.discriminator, trainer.vgg_loss, trainer.encoder):
        net.double()
    opt_g, opt_d = _adam(itertools.chain(g.parameters(), e.parameters())), _adam(d.parameters())
    for packed, photos in _batches(trainer, 2):
        labels, instances = packed[:, :-1], packed[:, -1:].long()
        theirs = train_step(g, d, vgg, opt_g, opt_d, labels, photos, n_layers_d=2, num_d=2, net_e=e,
                            inst_map=instances)
        ours = trainer._step(packed, photos)
        trainer.step += 1
        for name, value in theirs.items():
            assert ours[name] == pytest.approx(value, rel=1e-10), name
    for ours_net, theirs_net in ((trainer.generator, g), (trainer.encoder, e), (trainer.discriminator, d)):
        _assert_same_parameters(ours_net, theirs_net)


def test_the_global_then_local_schedule_is_nvidias(streets, tmp_path):
    """A local enhancer started from a trained global generator (NVIDIA's latest_net_G.pth) trains its enhancer alone
    for fix_global_steps, then everything with a fresh Adam: as NVIDIA's optimiser swap, weight for weight."""
    torch.manual_seed(3)
    trained_global = GlobalGenerator(35, 3, ngf=16, n_down=2, n_blocks=1)
    torch.save(trained_global.state_dict(), tmp_path / "latest_net_G.pth")
    trainer = _trainer(streets, tmp_path / "run", generator="local", n_blocks_local=1, load_size=64,
                       fix_global_steps=2, global_from=str(tmp_path / "latest_net_G.pth"))
    inside = trainer.generator.model.state_dict()
    assert all(torch.equal(value, trained_global.model.state_dict()[key]) for key, value in inside.items())
    g, d, vgg = _nvidia_networks(trainer, local=True)
    for net in (trainer.generator, trainer.discriminator, trainer.vgg_loss):
        net.double()
    opt_g, opt_d = _adam(local_enhancer_parameters(g, 1)), _adam(d.parameters())
    global_before = copy.deepcopy(trainer.generator.model.state_dict())
    for step, (labels, photos) in enumerate(_batches(trainer, 4)):
        if step == 2:  # NVIDIA's update_fixed_params at the end of the fixed epochs
            assert all(torch.equal(v, global_before[k]) for k, v in trainer.generator.model.state_dict().items())
            opt_g = _adam(g.parameters())
        train_step(g, d, vgg, opt_g, opt_d, labels, photos, n_layers_d=2, num_d=2)
        trainer._step(labels, photos)
        trainer.step += 1
    _assert_same_parameters(trainer.generator, g)
    assert not all(torch.equal(v, global_before[k]) for k, v in trainer.generator.model.state_dict().items())


def test_a_stopped_run_resumes_exactly(streets, tmp_path):
    """Stopped after 3 of 6 steps and resumed (a new trainer from the checkpoint, the random VGG rebuilt from the
    seed), it ends with the weights of an uninterrupted run, bit for bit: the global generator schedule, which
    changes at step 2, and the feature encoder included."""
    settings = {"generator": "local", "n_blocks_local": 1, "load_size": 64, "fix_global_steps": 2, "steps": 6,
                "instance_feat": True, "nef": 4, "n_downsample_E": 2}
    whole = _trainer(streets, tmp_path / "whole", **settings)
    whole.run()
    config = Pix2PixHDConfig(**{**TINY, **settings})
    stopped = Pix2PixHDTrainer(config, label_map_dataset(streets, config), tmp_path / "split", resume=False,
                               callbacks=TrainCallbacks(should_stop=lambda: stopped.step == 3))
    assert stopped.run().steps_done == 3
    resumed = Pix2PixHDTrainer(config, label_map_dataset(streets, config), tmp_path / "split")
    assert resumed.step == 3
    resumed.run()
    for a, b in ((whole.generator, resumed.generator), (whole.discriminator, resumed.discriminator),
                 (whole.encoder, resumed.encoder)):
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def _train(streets, out, *options: str) -> int:
    return cli_main(["train", "--method", "pix2pixhd", "--data", str(streets), "--out", str(out), "--label-nc", "34",
                     "--vgg", "random", "--ngf", "8", "--ndf", "8", "--n-downsample-global", "2", "--n-blocks", "1",
                     "--n-layers", "2", "--load-size", "64", *options])


def test_the_cli_trains_on_nvidias_layout_and_its_translator_translates_label_maps(streets, tmp_path, capsys, hub):
    """Trained, it translates label maps through the CLI better than untrained; converted to NVIDIA's format it loads
    into NVIDIA's networks with the same forward; pushed to a Hub, it loads back the same."""
    assert _train(streets, tmp_path / "run", "--steps", "40", "--sample-every", "20") == 0
    out = capsys.readouterr()
    assert "label maps (train_label/ + train_img/), 4 example(s), 34 labels, with instance maps" in out.err
    assert "--instance-map" in out.out and "random VGG19" in out.err
    checkpoint = tmp_path / "run" / "checkpoint"
    generator = p2p.load_generator(checkpoint)
    assert (generator.io.input_space, generator.io.label_nc, generator.io.instance_boundaries) == ("labels", 34, True)
    assert "not perceptual" in (checkpoint / "README.md").read_text()
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == ["step_0000020.png", "step_0000040.png"]
    # the translator learned the streets: closer to their photos than the untrained one, through the CLI
    labels, instances = street_scene(64, 32)
    Image.fromarray(labels[0, 0].numpy().astype("uint8")).save(tmp_path / "labels.png")
    Image.fromarray(instances[0, 0].numpy().astype("uint16")).save(tmp_path / "inst.png")
    assert cli_main(["translate", "--model", str(checkpoint), str(tmp_path / "labels.png"), "--instance-map",
                     str(tmp_path / "inst.png"), "--out", str(tmp_path / "out")]) == 0
    photo = load_image(tmp_path / "out" / "labels.png")
    truth = street_photo(labels, instances)[0]
    untrained = _trainer(streets, tmp_path / "untrained").generator
    before = p2p.translate_labels(untrained.eval(), labels, instances)[0]
    assert (photo - truth).abs().mean() < 0.7 * (before - truth).abs().mean()
    # pix2pix eval on NVIDIA's test split: the L1 of translate_labels against the photos, at their own size
    test = write_street_dataset(tmp_path / "test", 1, 80, 48, phase="test")
    capsys.readouterr()
    assert cli_main(["eval", "--model", str(checkpoint), "--data", str(test), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    test_labels = read_label_ids(next((test / "test_label").iterdir()))
    test_instances = read_label_ids(next((test / "test_inst").iterdir()), "instance map")
    fake = p2p.translate_labels(generator, test_labels, test_instances, fit="native")
    real = load_image(next((test / "test_img").iterdir()))[None]
    assert measured["images"] == 1 and measured["l1"] == pytest.approx((fake - real).abs().mean().item(), abs=1e-6)
    encoded = encode_labels(generator, labels, instances)
    assert cli_main(["convert", str(checkpoint), "--to", "reference", "--out", str(tmp_path / "nvidia")]) == 0
    theirs = GlobalGenerator(35, 3, ngf=8, n_down=2, n_blocks=1)
    theirs.load_state_dict(torch.load(tmp_path / "nvidia" / "latest_net_G.pth", weights_only=True))
    nvidia_d = MultiscaleDiscriminator(38, 8, n_layers=2, num_D=2, interm=True)
    nvidia_d.load_state_dict(torch.load(tmp_path / "nvidia" / "latest_net_D.pth", weights_only=True))
    assert torch.equal(theirs.eval()(encoded), generator.eval()(encoded))
    assert cli_main(["push", str(checkpoint), "me/street-translator", "--token", hub.state.token]) == 0
    pulled = p2p.load_generator("me/street-translator", token=hub.state.token, cache_dir=tmp_path / "cache")
    assert pulled.io == generator.io and torch.equal(pulled(encoded), generator(encoded))


@pytest.mark.parametrize("damage, message", [
    ("label 40", "holds label id 40, but the run has label_nc 34"),
    ("instance size", "train_inst/ and train_label/ must be the same scene"),
    ("rgb labels", "is a colour picture, not a label map"),
    ("missing photo", "train_img/ 2"),
])
def test_bad_training_data_is_refused_by_name(tmp_path, capsys, damage, message):
    folder = write_street_dataset(tmp_path / "data", 3, 64, 32)
    first = sorted((folder / "train_label").iterdir())[0]
    if damage == "label 40":
        Image.fromarray((torch.full((32, 64), 40)).numpy().astype("uint8")).save(first)
    elif damage == "instance size":
        inst = sorted((folder / "train_inst").iterdir())[0]
        Image.fromarray(torch.ones(16, 32).numpy().astype("uint16")).save(inst)
    elif damage == "rgb labels":
        Image.new("RGB", (64, 32), (128, 64, 128)).save(first)
    else:
        sorted((folder / "train_img").iterdir())[0].unlink()
    assert _train(folder, tmp_path / "run", "--steps", "2") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_options_that_cannot_train_are_refused_before_any_work(streets, tmp_path, capsys):
    for options, message in [(["--niter-fix-global", "2"], "add --generator local"),
                             (["--lambda-l1", "5"], "--lambda-l1: not an option of --method pix2pixhd"),
                             (["--vgg", str(tmp_path / "nowhere.pth")], "no such file"),
                             (["--generator", "unet"], "generator must be one of global, local"),
                             (["--label-nc", "1000000000"], "label_nc must be at most 4096")]:
        assert _train(streets, tmp_path / "run", "--steps", "1", *options) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "run" / "checkpoint").exists()


def test_the_vgg_weights_load_from_torchvisions_file_and_nothing_else(tmp_path, monkeypatch):
    """torchvision's file format (features.N keys, the classifier beside them) loads key for key, also from torch's
    hub cache; a file of another network is refused by name."""
    torch.manual_seed(0)
    reference = Vgg19()
    weights = {**reference.state_dict(), "classifier.0.weight": torch.zeros(4, 4)}
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cached = tmp_path / "torch" / "hub" / "checkpoints" / VGG_FILE
    cached.parent.mkdir(parents=True)
    torch.save(weights, cached)
    x = torch.rand(1, 3, 32, 32)
    for source in (str(cached), "auto"):
        assert all(torch.equal(a, b) for a, b in zip(load_vgg(source)(x), reference(x)))
    torch.save({"features.0.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(p2p.Pix2PixError, match="is not torchvision's VGG19"):
        load_vgg(str(tmp_path / "other.pth"))


def test_label_nc_0_trains_an_image_translator_on_train_a_and_train_b(streets, tmp_path, capsys):
    """NVIDIA's image mode: --label-nc 0 reads train_A/ -> train_B/ and gives an RGB translator (the Translate node's
    and `pix2pix translate`'s kind); the instance channel must be off, and saying otherwise is refused by name."""
    import shutil

    images = tmp_path / "images"
    shutil.copytree(streets / "train_img", images / "train_A")  # photo -> its mirror image: any paired mapping
    (images / "train_B").mkdir()
    for path in sorted((images / "train_A").iterdir()):
        Image.open(path).transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(images / "train_B" / path.name)
    assert _train(images, tmp_path / "bad", "--label-nc", "0", "--steps", "1") == 2
    assert "turn the instance channel off (--no-instance)" in capsys.readouterr().err
    assert cli_main(["train", "--method", "pix2pixhd", "--data", str(images), "--out", str(tmp_path / "run"),
                     "--label-nc", "0", "--no-instance", "--vgg", "random", "--ngf", "8", "--ndf", "8",
                     "--n-downsample-global", "2", "--n-blocks", "1", "--load-size", "64", "--steps", "2"]) == 0
    assert "images (train_A/ + train_B/), 4 example(s); scale_width to 64x32" in capsys.readouterr().err
    generator = p2p.load_generator(tmp_path / "run" / "checkpoint")
    assert (generator.io.input_space, generator.config.in_channels) == ("rgb", 3)
    assert cli_main(["translate", "--model", str(tmp_path / "run" / "checkpoint"),
                     str(next((images / "train_A").iterdir())), "--out", str(tmp_path / "out")]) == 0


DDP_SCRIPT = """
import hashlib, sys
from datetime import timedelta
from pathlib import Path
import torch, torch.distributed as dist
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from pix2pix_core.training.label_data import label_map_dataset
from pix2pix_core.training.pix2pixhd import Pix2PixHDConfig, Pix2PixHDTrainer
from pix2pix_core.training.instance_features import cluster_features, instance_vectors, kmeans
from pix2pix_core.training.loop import TrainCallbacks
dist.init_process_group("gloo", timeout=timedelta(seconds=60))
rank, base = dist.get_rank(), Path(sys.argv[1])
config = Pix2PixHDConfig(**{settings!r})
global_part = {{}}
trainer = Pix2PixHDTrainer(config, label_map_dataset(sys.argv[2], config), base / f"rank{{rank}}",
                           callbacks=TrainCallbacks(progress=lambda step, total, losses: global_part.__setitem__(
                               step, [p.detach().clone() for p in trainer.generator.model.parameters()])))
start = [p.detach().clone() for p in trainer.generator.model.parameters()]
trainer.run()
fixed = all(torch.equal(a, b) for a, b in zip(start, global_part[2]))
freed = not all(torch.equal(a, b) for a, b in zip(start, global_part[4]))
digest = hashlib.sha256(b"".join(p.detach().contiguous().numpy().tobytes()
                                 for p in trainer.generator.parameters())).hexdigest()
(base / f"rank{{rank}}.txt").write_text(f"{{digest}} fixed={{fixed}} freed={{freed}}")
dist.barrier()
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_the_global_then_local_schedule_under_two_process_ddp(streets, tmp_path):
    """Under torchrun (gloo, two ranks on different examples) the global part stays fixed for fix_global_steps, then
    trains, and both ranks end with the same weights: DDP synchronises what is freed at the switch."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = {**TINY, "generator": "local", "n_blocks_local": 1, "load_size": 64, "fix_global_steps": 2,
                "steps": 4}
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(root=str(root), tests=str(root / "tests"), settings=settings))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr",
                           "127.0.0.1", "--master_port", str(port), str(script), str(tmp_path), str(streets)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = [(tmp_path / f"rank{rank}.txt").read_text() for rank in (0, 1)]
    assert reports[0] == reports[1] and reports[0].endswith("fixed=True freed=True")


def test_instance_features_are_clustered_into_every_checkpoint_and_drawn_at_translation(streets, tmp_path, capsys,
                                                                                         hub):
    """--instance-feat: the checkpoint holds the encoder and NVIDIA's cluster file (the encoded training instances,
    each label's k-means centres); translate finds it beside the weights and draws what draw_features draws;
    NVIDIA's layout (convert --to reference) and a push carry both."""
    assert _train(streets, tmp_path / "run", "--steps", "3", "--instance-feat", "--nef", "4", "--n-downsample-E",
                  "2", "--n-clusters", "3") == 0
    checkpoint = tmp_path / "run" / "checkpoint"
    generator, encoder = p2p.load_generator(checkpoint), load_encoder(checkpoint)
    assert (generator.config.in_channels, encoder.config.out_channels) == (35 + 3, 3)
    clusters = read_feature_clusters(checkpoint / "features_clustered_003.npy")
    assert clusters[26].shape == (3, 3)
    # they are the k-means centres of the checkpoint's encoder's features of the training instances, unflipped
    data = label_map_dataset(streets, Pix2PixHDConfig(**{**TINY, "instance_feat": True, "n_downsample_E": 2}))
    data.flip = False
    vectors: dict[int, list[torch.Tensor]] = {}
    with torch.no_grad():
        for packed, photo in (data[i] for i in range(len(data))):
            instances = packed[None, -1:].long()
            for label, found in instance_vectors(encoder(photo[None], instances)[0], instances[0, 0]).items():
                vectors.setdefault(label, []).extend(found)
    assert len(vectors[26]) == 8  # two cars in each of the four streets
    expected = cluster_features(vectors, 3)
    assert sorted(expected) == sorted(clusters)
    assert all(torch.allclose(clusters[label].double(), expected[label], atol=1e-6) for label in clusters)
    labels, instances = street_scene(64, 32)
    _png_ids(tmp_path / "labels.png", labels)
    _png_ids(tmp_path / "inst.png", instances, 16)
    assert cli_main(["translate", "--model", str(checkpoint), str(tmp_path / "labels.png"), "--instance-map",
                     str(tmp_path / "inst.png"), "--out", str(tmp_path / "out")]) == 0
    written = load_image(tmp_path / "out" / "labels.png")
    expected = p2p.translate_labels(generator, labels, instances, features=draw_features(clusters, labels, instances))
    assert (written - expected[0]).abs().max() <= 0.5 / 255 + 1e-6
    assert cli_main(["convert", str(checkpoint), "--to", "reference", "--out", str(tmp_path / "nvidia")]) == 0
    nvidia_e = Encoder(3, 3, ngf=4, n_down=2)
    nvidia_e.load_state_dict(torch.load(tmp_path / "nvidia" / "latest_net_E.pth", weights_only=True))
    assert torch.equal(read_feature_clusters(tmp_path / "nvidia" / "features_clustered_003.npy")[26], clusters[26])
    assert cli_main(["push", str(checkpoint), "me/street-features", "--token", hub.state.token]) == 0
    repo = hub.state.repos["me/street-features"]
    assert {"encoder.safetensors", "features_clustered_003.npy"} <= set(repo.commits[repo.refs["main"]])


def _png_ids(path, ids: torch.Tensor, bits: int = 8) -> None:
    Image.fromarray(ids[0, 0].numpy().astype("uint8" if bits == 8 else "uint16")).save(path)


def test_kmeans_finds_separated_clusters_and_small_instances_are_left_out():
    generator = torch.Generator().manual_seed(0)
    truth = torch.tensor([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    points = torch.cat([centre + 0.1 * torch.randn(20, 2, generator=generator) for centre in truth])
    found = kmeans(points, 3)
    assert torch.cdist(found.float(), truth).min(1).values.max() < 0.1
    assert len(kmeans(torch.ones(4, 2), 3)) == 1  # one distinct point: one centre
    instances = torch.zeros(32, 32, dtype=torch.long)
    instances[:2, :2] = 26001  # 4 pixels: under half of 1/32 of the image (16 pixels)
    instances[10:20, 10:20] = 26002
    vectors = instance_vectors(torch.rand(3, 32, 32), instances)
    assert sorted(vectors) == [0, 26] and len(vectors[26]) == 1
