"""Kafka's murmur2 and its default partitioner for a keyed record.

As a program: murmur2.py KEY PARTITIONS prints the partition of KEY.
Imported: murmur2(data) and partition(key_bytes, partitions).
"""
import sys


def murmur2(data):
    m, h = 0x5bd1e995, (0x9747b28c ^ len(data)) & 0xffffffff
    for i in range(0, len(data) - len(data) % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> 24
        k = (k * m) & 0xffffffff
        h = ((h * m) & 0xffffffff) ^ k
    rest = len(data) % 4
    tail = data[len(data) - rest:]
    if rest >= 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h


def partition(key, partitions):
    return (murmur2(key) & 0x7fffffff) % partitions


if __name__ == "__main__":
    print(partition(sys.argv[1].encode(), int(sys.argv[2])))
