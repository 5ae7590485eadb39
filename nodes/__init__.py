"""ComfyUI adapters for pix2pix_core (imported only inside ComfyUI)."""

from .colorize import Pix2PixColorize
from .critic import Pix2PixCritic
from .edges import Pix2PixEdges
from .examples import Pix2PixExamplePhoto
from .flicker import Pix2PixFlicker
from .labels import Pix2PixLabelMap, Pix2PixTranslateLabels
from .live import register_live_routes
from .models import Pix2PixLoadModel, Pix2PixSaveModel, register_model_folder
from .sketch import Pix2PixSketch
from .train import Pix2PixTrain, Pix2PixTrainUnpaired
from .train_labels import Pix2PixTrainLabels
from .translate import Pix2PixTranslate

NODES = [Pix2PixLoadModel, Pix2PixTranslate, Pix2PixEdges, Pix2PixColorize, Pix2PixCritic, Pix2PixTrain,
         Pix2PixTrainUnpaired, Pix2PixSaveModel, Pix2PixExamplePhoto, Pix2PixSketch,
         Pix2PixFlicker, Pix2PixLabelMap, Pix2PixTranslateLabels, Pix2PixTrainLabels]

__all__ = ["NODES", "register_live_routes", "register_model_folder"]
