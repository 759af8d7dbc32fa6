using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Memtable;

/// <summary>
/// The layout of one skip-list node in the <see cref="Arena"/>, and the loads and stores that read and
/// link it. A node is addressed by a pointer to its level-0 link; it is never a managed object.
/// </summary>
/// <remarks>
/// <para>Layout of a node of height <c>h</c> (1 ≤ h ≤ <see cref="SkipList.MaxHeight"/>), where
/// <c>node</c> is the address the list links to (8-byte aligned, because the allocation is):</para>
/// <code>
///   address            size        field
///   node - 8·(h-1)     8           next[h-1]  successor at level h-1 (absolute address, 0 = none)
///   ...                ...         ...
///   node - 8           8           next[1]
///   node               8           next[0]    successor at level 0
///   node + 8           1           h          the node's height
///   node + 9           varint32    k          length of the internal key
///   ...                k           key        internal key: user key, then 8-byte LE trailer (seq &lt;&lt; 8 | kind)
///   ...                varint32    v          length of the value
///   ...                v           value
/// </code>
/// <para>The links sit below the node address, highest level first, so the key starts at a fixed offset
/// whatever the height (RocksDB's inline skip list does the same): a search touches next[level], then
/// the key 8·level + 9 bytes further on. Example: the entry <c>"ab"#5,SET → "x"</c> of height 2 takes
/// 16 + 1 + 1 + 10 + 1 + 1 = 30 bytes: next[1], next[0], <c>02</c>, <c>0A</c>, <c>61 62 01 05 00 00 00 00 00 00</c>,
/// <c>01</c>, <c>78</c>.</para>
/// <para>Links are the only mutable part of a node. They are stored with release semantics
/// (<see cref="SetNext"/>) and loaded with acquire semantics (<see cref="Next"/>), so a reader that
/// reaches a node through a link sees its height, key and value fully written. A node's own links may be
/// written without a barrier (<see cref="SetNextNoBarrier"/>) before the node is published.</para>
/// </remarks>
internal static unsafe class SkipListNode
{
    /// <summary>Bytes of one link.</summary>
    public const int LinkSize = 8;

    /// <summary>Offset of the height byte from the node address.</summary>
    private const int HeightOffset = LinkSize;

    /// <summary>Offset of the key length varint from the node address.</summary>
    private const int KeyLengthOffset = HeightOffset + 1;

    /// <summary>The size of a node: its links, height, both lengths, key and value.</summary>
    /// <returns>The byte count, or -1 when it does not fit in an <see cref="int"/>.</returns>
    public static int Size(int height, int keyLength, int valueLength)
    {
        long size = ((long)LinkSize * height) + 1
            + VarintLength((uint)keyLength) + keyLength
            + VarintLength((uint)valueLength) + valueLength;
        return size <= int.MaxValue ? (int)size : -1;
    }

    /// <summary>The node address within an allocation of a node of height <paramref name="height"/>.</summary>
    public static byte* FromAllocation(byte* allocation, int height) => allocation + (LinkSize * (height - 1));

    /// <summary>Loads the successor at <paramref name="level"/> with acquire semantics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Next(byte* node, int level) => (byte*)Volatile.Read(ref *(nint*)(node - (LinkSize * level)));

    /// <summary>Stores the successor at <paramref name="level"/> with release semantics: publishes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetNext(byte* node, int level, byte* next) => Volatile.Write(ref *(nint*)(node - (LinkSize * level)), (nint)next);

    /// <summary>Loads a link without a barrier: only for links the caller itself wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* NextNoBarrier(byte* node, int level) => (byte*)*(nint*)(node - (LinkSize * level));

    /// <summary>Stores a link without a barrier: only for a node not yet reachable by readers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetNextNoBarrier(byte* node, int level, byte* next) => *(nint*)(node - (LinkSize * level)) = (nint)next;

    public static int Height(byte* node) => node[HeightOffset];

    /// <summary>Writes height, key length and value length; returns where the key bytes go.</summary>
    public static byte* WriteHeader(byte* node, int height, int keyLength, int valueLength, out byte* value)
    {
        node[HeightOffset] = (byte)height;
        byte* p = WriteVarint32(node + KeyLengthOffset, (uint)keyLength);
        byte* key = p;
        p = WriteVarint32(key + keyLength, (uint)valueLength);
        value = p;
        return key;
    }

    /// <summary>The node's internal key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(byte* node)
    {
        byte* p = node + KeyLengthOffset;
        int length = ReadVarint32(ref p);
        return new ReadOnlySpan<byte>(p, length);
    }

    /// <summary>The node's value.</summary>
    public static ReadOnlySpan<byte> Value(byte* node)
    {
        byte* p = node + KeyLengthOffset;
        int keyLength = ReadVarint32(ref p);
        p += keyLength;
        int valueLength = ReadVarint32(ref p);
        return new ReadOnlySpan<byte>(p, valueLength);
    }

    private static int VarintLength(uint value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;

    private static byte* WriteVarint32(byte* p, uint value)
    {
        while (value >= 0x80)
        {
            *p++ = (byte)(value | 0x80);
            value >>= 7;
        }

        *p++ = (byte)value;
        return p;
    }

    /// <summary>Decodes a varint the list itself wrote, so it is trusted: no bounds, no malformed input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadVarint32(ref byte* p)
    {
        uint result = *p++;
        if (result < 0x80)
        {
            return (int)result;
        }

        result &= 0x7F;
        for (int shift = 7; ; shift += 7)
        {
            Debug.Assert(shift <= 28, "varint32 longer than 5 bytes");
            uint b = *p++;
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (int)result;
            }
        }
    }
}
