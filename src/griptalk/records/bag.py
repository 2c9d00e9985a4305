"""The run's rosbag2: serialized messages written as they arrive (MCAP, zstd-compressed chunks)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rosbags.interfaces import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime
from rosbags.rosbag2 import Writer
from rosbags.rosbag2.enums import CompressionFormat, CompressionMode, StoragePlugin
from rosbags.typesys.store import Typestore

_NO_TIME = QosTime(0, 0)
# Offered to `ros2 bag play` for latched topics, so a late subscriber still gets the last message.
_LATCHED = Qos(QosHistory.KEEP_LAST, 1, QosReliability.RELIABLE, QosDurability.TRANSIENT_LOCAL, _NO_TIME,
               _NO_TIME, QosLiveliness.AUTOMATIC, _NO_TIME, False)


@dataclass(frozen=True)
class BagTopic:
    name: str  # as subscribed, e.g. "joint_states"
    msgtype: str  # e.g. "sensor_msgs/msg/JointState"
    latched: bool = False  # published with transient-local durability


class BagWriter:
    """MCAP chunks reach the file every ~1 MB, so a run that is stopped keeps all but the last chunk;
    metadata.yaml is written on close (after a hard kill `ros2 bag reindex` rebuilds it)."""

    def __init__(self, path: Path, typestore: Typestore, topics: list[BagTopic]) -> None:
        unknown = [t.msgtype for t in topics if t.msgtype not in typestore.fielddefs]
        if unknown:
            raise ValueError(f"the typestore does not define {', '.join(unknown)}")
        names = [t.name for t in topics]
        if len(set(names)) != len(names):
            raise ValueError(f"topics listed twice: {sorted({n for n in names if names.count(n) > 1})}")
        self.writer = Writer(Path(path), version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
        self.writer.open()
        self.connections = {t.name: self.writer.add_connection(t.name, t.msgtype, typestore=typestore,
                                                               offered_qos_profiles=[_LATCHED] if t.latched else [])
                            for t in topics}
        self.counts = dict.fromkeys(self.connections, 0)

    def write(self, topic: str, stamp_ns: int, data: bytes) -> None:
        """One CDR-serialized message received at `stamp_ns` (ns since the epoch)."""
        connection = self.connections.get(topic)
        if connection is None:
            raise ValueError(f"'{topic}' is not a topic of this bag: {sorted(self.connections)}")
        self.writer.write(connection, stamp_ns, data)
        self.counts[topic] += 1

    def close(self) -> None:
        self.writer.close()
