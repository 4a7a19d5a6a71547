using System.Runtime.CompilerServices;

namespace SharpCat.Relay;

/// <summary>
/// <c>await new ThreadPoolHop()</c> continues on a pool thread, whatever synchronization context
/// the caller has. A pump starts with it: the caller goes on at once (a pump over regular files
/// never waits), and no wrapper task is made, as <c>Task.Run(async …)</c> would, for every
/// direction of every connection.
/// </summary>
internal readonly struct ThreadPoolHop : ICriticalNotifyCompletion
{
    public ThreadPoolHop GetAwaiter() => this;

    public bool IsCompleted => false;

    public void GetResult() { }

    public void OnCompleted(Action continuation) =>
        ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

    public void UnsafeOnCompleted(Action continuation) =>
        ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
}
