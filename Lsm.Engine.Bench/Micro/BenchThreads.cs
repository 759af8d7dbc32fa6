namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Runs a benchmark's operations on 1 or 2 threads: the second thread is started once and woken by a barrier per
/// invocation, so an invocation's wall time covers both threads' work and none of a thread's start.
/// </summary>
/// <remarks>Not thread-safe: one benchmark drives it from its benchmark thread.</remarks>
internal sealed class BenchThreads : IDisposable
{
    private readonly Func<int, long> _work;
    private readonly Thread? _worker;
    private readonly Barrier? _barrier;
    private volatile bool _stop;

    /// <summary>Starts the second thread when <paramref name="threads"/> is 2; <paramref name="work"/> gets the thread's number (0 or 1).</summary>
    public BenchThreads(int threads, Func<int, long> work)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 2);
        _work = work;
        if (threads == 2)
        {
            _barrier = new Barrier(2);
            _worker = new Thread(WorkerLoop) { IsBackground = true };
            _worker.Start();
        }
    }

    /// <summary>Runs the work on thread 0 here and, with 2 threads, on thread 1 at the same time; returns thread 0's result.</summary>
    public long Run()
    {
        if (_barrier is null)
        {
            return _work(0);
        }

        _barrier.SignalAndWait();
        long result = _work(0);
        _barrier.SignalAndWait();
        return result;
    }

    /// <summary>Stops and joins the second thread.</summary>
    public void Dispose()
    {
        if (_worker is not null)
        {
            _stop = true;
            _barrier!.SignalAndWait();
            _worker.Join();
            _barrier.Dispose();
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _barrier!.SignalAndWait();
            if (_stop)
            {
                return;
            }

            _ = _work(1);
            _barrier.SignalAndWait();
        }
    }
}
