namespace SharpCat.Tests.Support;

/// <summary>A bounded wait for a condition that another process or task makes true.</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, double seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met within {seconds} s");
            await Task.Delay(10);
        }
    }
}
