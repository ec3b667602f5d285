using PeerFlow.Transfers;

using static PeerFlow.Transfers.TransferState;

namespace PeerFlow.Core.Tests;

public sealed class TransferStateMachineTests
{
    /// <summary>The legal transitions, written out independently of the implementation (issue 3's list).</summary>
    private static readonly Dictionary<TransferDirection, HashSet<(TransferState, TransferState)>> Legal = new()
    {
        [TransferDirection.Send] = Expected(Sending),
        [TransferDirection.Receive] = Expected(Receiving),
    };

    private static HashSet<(TransferState, TransferState)> Expected(TransferState running) =>
    [
        (Preparing, Connecting), (Preparing, Cancelled), (Preparing, Failed),
        (Connecting, running), (Connecting, Cancelled), (Connecting, Failed),
        (running, Paused), (running, Completed), (running, Connecting), (running, Cancelled), (running, Failed),
        (Paused, running), (Paused, Connecting), (Paused, Completed), (Paused, Cancelled), (Paused, Failed),
    ];

    private static IEnumerable<TestCaseData> AllPairs()
    {
        foreach (var direction in Enum.GetValues<TransferDirection>())
        {
            foreach (var from in Enum.GetValues<TransferState>())
            {
                foreach (var to in Enum.GetValues<TransferState>())
                {
                    yield return new TestCaseData(direction, from, to).SetName($"{direction}: {from} -> {to}");
                }
            }
        }
    }

    [TestCaseSource(nameof(AllPairs))]
    public void EveryTransition_IsLegalExactlyWhenExpected(TransferDirection direction, TransferState from, TransferState to)
    {
        var legal = Legal[direction].Contains((from, to));
        Assert.That(TransferStateMachine.IsLegal(direction, from, to), Is.EqualTo(legal));
        if (from is Sending or Receiving && from != new TransferStateMachine(direction).Running)
        {
            // The other side's running state: no machine of this direction can get there.
            var connecting = Reach(direction, Connecting);
            Assert.That(connecting.TryMoveTo(from), Is.False);
            return;
        }

        var machine = Reach(direction, from);
        var events = new List<TransferStateChanged>();
        machine.Changed += events.Add;
        if (legal)
        {
            machine.MoveTo(to, "why");
            Assert.That(machine.State, Is.EqualTo(to));
            Assert.That(events.Single(), Is.EqualTo(events.Single() with { From = from, To = to, Reason = "why", Direction = direction }));
        }
        else
        {
            Assert.That(() => machine.MoveTo(to), Throws.InvalidOperationException.With.Message.Contains($"from {from} to {to}"));
            Assert.That(machine.TryMoveTo(to), Is.False);
            Assert.That(machine.State, Is.EqualTo(from), "an illegal transition changes nothing");
            Assert.That(events, Is.Empty, "an illegal transition raises no event");
        }
    }

    [Test]
    public void FailedAndCancelled_KeepTheirReason()
    {
        var failed = Reach(TransferDirection.Send, Sending);
        failed.MoveTo(Failed, "disk full writing 'a.bin'");
        Assert.That(failed.Reason, Is.EqualTo("disk full writing 'a.bin'"));
        Assert.That(failed.IsFinal, Is.True);
    }

    [Test]
    public void ConcurrentFinalTransitions_ExactlyOneWins()
    {
        for (var round = 0; round < 200; round++)
        {
            var machine = Reach(TransferDirection.Receive, Receiving);
            var events = 0;
            machine.Changed += _ => Interlocked.Increment(ref events);
            var targets = new[] { Completed, Cancelled, Failed, Paused, Connecting };
            var wins = 0;
            Parallel.For(0, 16, i =>
            {
                if (machine.TryMoveTo(targets[i % targets.Length]))
                {
                    Interlocked.Increment(ref wins);
                }
            });

            // Non-final moves may chain (Paused then Cancelled...), but once final, nothing more happens.
            Assert.That(wins, Is.EqualTo(events));
            Assert.That(machine.IsFinal || machine.State is Paused or Connecting or Receiving, Is.True);
        }
    }

    /// <summary>A machine in <paramref name="state"/>, reached through legal transitions only.</summary>
    private static TransferStateMachine Reach(TransferDirection direction, TransferState state)
    {
        var machine = new TransferStateMachine(direction);
        var path = state switch
        {
            Preparing => [],
            Connecting => [Connecting],
            Sending or Receiving => [Connecting, state],
            Paused => [Connecting, machine.Running, Paused],
            Completed => [Connecting, machine.Running, Completed],
            Cancelled => new[] { Cancelled },
            Failed => [Failed],
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };

        foreach (var step in path)
        {
            machine.MoveTo(step);
        }

        return machine;
    }
}
