[assembly: PeerFlow.Transports.TransportContract(PeerFlow.Transports.TransportContract.Version)]
