using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Memtable;

/// <summary>
/// A skip list of (internal key, value) entries whose nodes live in an <see cref="Arena"/>: the
/// memtable's index. Node layout: see <see cref="SkipListNode"/>.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> Writes (<see cref="AllocateNode"/> + <see cref="Insert(byte*)"/>, or
/// <see cref="Insert(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>) require external synchronization: one
/// writer at a time. Reads (the Find methods, <see cref="MemTableIterator"/>) need no locking and run
/// concurrently with the writer and each other; they require only that the arena is not disposed while
/// they run.</para>
/// <para><b>Invariants.</b></para>
/// <list type="number">
/// <item>Nodes are never removed or moved until the arena is disposed, so a pointer a reader holds stays
/// valid and keeps its place in the order.</item>
/// <item>A node's height, key and value are immutable once the node is linked; only links change, and
/// only by <see cref="Insert(byte*)"/>, which initializes the node's own links first and then publishes it
/// level by level, bottom up, with release stores (leveldb's NoBarrier/Release-Acquire discipline).</item>
/// <item>Every level is sorted strictly ascending by the key order, and level i+1 is a subsequence of
/// level i: a node reachable at level i has height &gt; i. Because publication goes bottom up, this
/// holds at every instant a reader can observe, not only between inserts.</item>
/// <item>The head's links at levels ≥ the current max height are null; max height only grows, and is
/// raised before the links that use it are stored, so a reader that sees either a stale or a fresh max
/// height still searches correctly.</item>
/// </list>
/// <para>The writer keeps the last node of every level (writer-private, never read by readers), so an
/// insert after the current largest key links without searching: ascending loads, WAL replay of
/// sequential keys and time-ordered keys cost O(1) per insert instead of O(log n).</para>
/// <para>Heights are drawn with branching factor 4 (P(height &gt; h) = 4^-h) up to
/// <see cref="MaxHeight"/> = 12, leveldb's parameters: balanced up to about 4^12 = 16 million entries.</para>
/// </remarks>
internal sealed unsafe class SkipList
{
    /// <summary>The tallest node: 12 levels.</summary>
    public const int MaxHeight = 12;

    /// <summary>One node in this many of height h also has height h + 1.</summary>
    public const int BranchingFactor = 4;

    private readonly Arena _arena;
    private readonly IKeyOrder _order;
    private readonly bool _bytewiseInternal;
    private readonly byte* _head;
    private readonly nint[] _tail = new nint[MaxHeight]; // writer-only: the last node of each level, or the head
    private int _maxHeight = 1;
    private long _count;
    private ulong _random;

    /// <summary>Creates an empty list; its head node is allocated from <paramref name="arena"/>.</summary>
    /// <param name="arena">Where the nodes are allocated; the list does not own it.</param>
    /// <param name="order">The order of the keys, normally an <see cref="InternalKeyComparator"/>.</param>
    /// <param name="seed">Seed of the height generator; fixed by default so runs are reproducible.</param>
    public SkipList(Arena arena, IKeyOrder order, ulong seed = 0x9E37_79B9_7F4A_7C15)
    {
        _arena = arena;
        _order = order;
        _bytewiseInternal = order is InternalKeyComparator { UserComparator: BytewiseComparator };
        _random = seed | 1;
        byte* allocation = arena.Allocate(SkipListNode.Size(MaxHeight, 0, 0));
        _head = SkipListNode.FromAllocation(allocation, MaxHeight);
        SkipListNode.WriteHeader(_head, MaxHeight, 0, 0, out _);
        for (int level = 0; level < MaxHeight; level++)
        {
            SkipListNode.SetNextNoBarrier(_head, level, null);
            _tail[level] = (nint)_head;
        }
    }

    /// <summary>The sentinel before the first node; its key is empty and never compared.</summary>
    public byte* Head => _head;

    /// <summary>Number of nodes inserted (and published). May lag a concurrent insert, never lead it.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>The order the list is sorted by.</summary>
    public IKeyOrder Order => _order;

    /// <summary>
    /// Allocates a node for a key of <paramref name="keyLength"/> bytes and a value of
    /// <paramref name="valueLength"/> bytes, with a random height; the caller writes the key and value into
    /// the returned spans and then calls <see cref="Insert(byte*)"/>. Lets the memtable encode an internal
    /// key straight into the arena.
    /// </summary>
    /// <param name="keyLength">Length of the internal key.</param>
    /// <param name="valueLength">Length of the value.</param>
    /// <param name="key">Where the key goes.</param>
    /// <param name="value">Where the value goes.</param>
    /// <returns>The unpublished node.</returns>
    /// <remarks>REQUIRES: the caller is the only writer.</remarks>
    public byte* AllocateNode(int keyLength, int valueLength, out Span<byte> key, out Span<byte> value)
    {
        int height = RandomHeight();
        int size = SkipListNode.Size(height, keyLength, valueLength);
        if (size < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(valueLength), "An entry must be smaller than 2 GiB.");
        }

        byte* node = SkipListNode.FromAllocation(_arena.Allocate(size), height);
        byte* keyStart = SkipListNode.WriteHeader(node, height, keyLength, valueLength, out byte* valueStart);
        key = new Span<byte>(keyStart, keyLength);
        value = new Span<byte>(valueStart, valueLength);
        return node;
    }

    /// <summary>Links a node from <see cref="AllocateNode"/>, whose key and value are written, into the list.</summary>
    /// <param name="node">The node.</param>
    /// <remarks>
    /// REQUIRES: the caller is the only writer; no key equal to the node's is in the list; the node is
    /// inserted once.
    /// </remarks>
    [SkipLocalsInit] // prev[0..height) is written on every path before it is read
    public void Insert(byte* node)
    {
        ReadOnlySpan<byte> key = SkipListNode.Key(node);
        int height = SkipListNode.Height(node);
        nint* prev = stackalloc nint[MaxHeight];
        byte* last = (byte*)_tail[0];
        if (last == _head || Compare(SkipListNode.Key(last), key) < 0)
        {
            // Appending after the largest key (ascending loads, recovery, sequential keys): the
            // predecessor at every level is that level's last node, so no search is needed.
            for (int level = 0; level < height; level++)
            {
                prev[level] = _tail[level];
            }
        }
        else
        {
            byte* successor = FindGreaterOrEqual(key, (byte**)prev);
            Debug.Assert(successor == null || Compare(SkipListNode.Key(successor), key) != 0, "duplicate key inserted");
        }

        int maxHeight = _maxHeight;
        if (height > maxHeight)
        {
            for (int level = maxHeight; level < height; level++)
            {
                prev[level] = (nint)_head;
            }

            // Readers that see the new height before the links below find null head links at the new
            // levels and drop a level; readers that see the old height skip levels that are being filled.
            Volatile.Write(ref _maxHeight, height);
        }

        for (int level = 0; level < height; level++)
        {
            // The node's own link needs no barrier: the release store into prev publishes it with the node.
            byte* next = SkipListNode.NextNoBarrier((byte*)prev[level], level);
            SkipListNode.SetNextNoBarrier(node, level, next);
            SkipListNode.SetNext((byte*)prev[level], level, node);
            if (next == null)
            {
                _tail[level] = (nint)node;
            }
        }

        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>Copies a key and value into a new node and links it.</summary>
    /// <param name="key">The internal key.</param>
    /// <param name="value">The value.</param>
    /// <remarks>REQUIRES: the caller is the only writer; no key equal to <paramref name="key"/> is in the list.</remarks>
    public void Insert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        byte* node = AllocateNode(key.Length, value.Length, out Span<byte> keyDestination, out Span<byte> valueDestination);
        key.CopyTo(keyDestination);
        value.CopyTo(valueDestination);
        Insert(node);
    }

    /// <summary>Whether a key equal to <paramref name="key"/> is in the list.</summary>
    public bool Contains(ReadOnlySpan<byte> key)
    {
        byte* node = FindGreaterOrEqual(key, null);
        return node != null && Compare(SkipListNode.Key(node), key) == 0;
    }

    /// <summary>
    /// The first node whose key is at or after <paramref name="key"/>, or null. When <paramref name="prev"/>
    /// is not null, fills prev[level] with the last node before the key at every level below max height.
    /// </summary>
    public byte* FindGreaterOrEqual(ReadOnlySpan<byte> key, byte** prev)
    {
        byte* x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        byte* knownNotBefore = null; // a node already compared ≥ key: when met again one level down, skip the compare
        while (true)
        {
            byte* next = SkipListNode.Next(x, level);
            if (Sse.IsSupported && next != null)
            {
                // If next is before the key, its link at this level is read next; that link sits 8·level bytes
                // below the key, often in another cache line: fetch both lines at once.
                Sse.Prefetch0(next - (SkipListNode.LinkSize * level));
            }

            if (next != null && next != knownNotBefore && Compare(SkipListNode.Key(next), key) < 0)
            {
                x = next;
            }
            else
            {
                if (prev != null)
                {
                    prev[level] = x;
                }

                if (level == 0)
                {
                    return next;
                }

                knownNotBefore = next;
                level--;
            }
        }
    }

    /// <summary>The last node whose key is before <paramref name="key"/>, or <see cref="Head"/> when there is none.</summary>
    public byte* FindLessThan(ReadOnlySpan<byte> key) => FindLast(key, orEqual: false);

    /// <summary>The last node whose key is at or before <paramref name="key"/>, or <see cref="Head"/> when there is none.</summary>
    public byte* FindLessOrEqual(ReadOnlySpan<byte> key) => FindLast(key, orEqual: true);

    /// <summary>The last node of the list, or <see cref="Head"/> when it is empty.</summary>
    public byte* FindLast()
    {
        byte* x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            byte* next = SkipListNode.Next(x, level);
            if (next != null)
            {
                x = next;
            }
            else if (level == 0)
            {
                return x;
            }
            else
            {
                level--;
            }
        }
    }

    /// <summary>
    /// Checks the invariants by walking every level: sorted strictly ascending, each level a subsequence of
    /// the one below, heights consistent, no fewer nodes than <see cref="Count"/>. Safe to call concurrently
    /// with the writer. Throws <see cref="InvalidOperationException"/> on a violation.
    /// </summary>
    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        long count = Count; // read first: nodes are only added, so the walk must find at least this many
        long nodes = 0;
        for (int level = 0; level < MaxHeight; level++)
        {
            byte* lower = _head; // walks level - 1 in step, to check level is a subsequence of it
            byte* previous = null;
            for (byte* node = SkipListNode.Next(_head, level); node != null; node = SkipListNode.Next(node, level))
            {
                int height = SkipListNode.Height(node);
                Check(height > level && height <= MaxHeight, "node of height {0} linked at level {1}", height, level);
                if (previous != null)
                {
                    Check(Compare(SkipListNode.Key(previous), SkipListNode.Key(node)) < 0, "level {0} out of order", level, 0);
                }

                if (level == 0)
                {
                    nodes++;
                }
                else
                {
                    while (lower != null && lower != node)
                    {
                        lower = SkipListNode.Next(lower, level - 1);
                    }

                    Check(lower != null, "level {0} has a node missing from level {1}", level, level - 1);
                }

                previous = node;
            }

            if (previous != null)
            {
                // Read after the link was seen: max height is raised before links that need it.
                Check(level < Volatile.Read(ref _maxHeight), "head linked at level {0} above max height {1}", level, _maxHeight);
            }
        }

        Check(nodes >= count, "{0} nodes reachable, {1} counted", (int)Math.Min(nodes, int.MaxValue), (int)Math.Min(count, int.MaxValue));
    }

    private static void Check(bool condition, string format, int a, int b)
    {
        if (!condition)
        {
            throw new InvalidOperationException("SkipList invariant violated: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, format, a, b));
        }
    }

    private byte* FindLast(ReadOnlySpan<byte> key, bool orEqual)
    {
        byte* x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        byte* knownAfter = null;
        while (true)
        {
            byte* next = SkipListNode.Next(x, level);
            if (next != null && next != knownAfter && Compare(SkipListNode.Key(next), key) is var c && (c < 0 || (orEqual && c == 0)))
            {
                x = next;
            }
            else if (level == 0)
            {
                return x;
            }
            else
            {
                knownAfter = next;
                level--;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        _bytewiseInternal ? CompareBytewiseInternal(a, b) : _order.Compare(a, b);

    /// <summary><see cref="InternalKeyComparator"/> over the bytewise user order, without its two virtual calls.</summary>
    private static int CompareBytewiseInternal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int c = a[..^InternalKey.TrailerSize].SequenceCompareTo(b[..^InternalKey.TrailerSize]);
        if (c != 0)
        {
            return c;
        }

        ulong trailerA = BinaryPrimitives.ReadUInt64LittleEndian(a[^InternalKey.TrailerSize..]);
        ulong trailerB = BinaryPrimitives.ReadUInt64LittleEndian(b[^InternalKey.TrailerSize..]);
        return trailerB.CompareTo(trailerA);
    }

    /// <summary>1 + the number of trailing zero bit pairs of a random word, capped: P(height &gt; h) = 4^-h.</summary>
    private int RandomHeight()
    {
        // xorshift64*: the writer's private generator.
        ulong x = _random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        _random = x;
        ulong r = x * 0x2545_F491_4F6C_DD1D;
        int height = 1 + (BitOperations.TrailingZeroCount(r | (1UL << (2 * (MaxHeight - 1)))) / 2);
        Debug.Assert(height is >= 1 and <= MaxHeight, "height out of range");
        return height;
    }
}
