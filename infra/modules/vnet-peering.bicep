// Peers the regions' virtual networks both ways (privateNetworking), so the second region
// reaches the private endpoints of Key Vault and Azure OpenAI in the first.

@description('The first region network name.')
param firstVnetName string

@description('The second region network name.')
param secondVnetName string

resource firstVnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: firstVnetName
}

resource secondVnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: secondVnetName
}

resource firstToSecond 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-05-01' = {
  parent: firstVnet
  name: 'to-${secondVnetName}'
  properties: {
    remoteVirtualNetwork: {
      id: secondVnet.id
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: false
  }
}

resource secondToFirst 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-05-01' = {
  parent: secondVnet
  name: 'to-${firstVnetName}'
  properties: {
    remoteVirtualNetwork: {
      id: firstVnet.id
    }
    allowVirtualNetworkAccess: true
    allowForwardedTraffic: false
  }
}
