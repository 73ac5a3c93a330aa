// The Front Door Premium profile on its own, so its id (X-Azure-FDID) can be handed to the
// regional apps before the routing that points at them exists. Front Door is a global service:
// it has no UK location of its own (see README, data residency).

@description('Front Door profile name.')
param name string

@description('Log Analytics workspace for access, health-probe and WAF logs.')
param workspaceId string

@description('Tags for every resource.')
param tags object

resource profile 'Microsoft.Cdn/profiles@2024-02-01' = {
  name: name
  location: 'global'
  tags: tags
  sku: {
    name: 'Premium_AzureFrontDoor'
  }
  properties: {
    originResponseTimeoutSeconds: 60
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'edge-to-log-analytics'
  scope: profile
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FrontDoorAccessLog'
        enabled: true
      }
      {
        category: 'FrontDoorHealthProbeLog'
        enabled: true
      }
      {
        category: 'FrontDoorWebApplicationFirewallLog'
        enabled: true
      }
    ]
  }
}

output name string = profile.name
output frontDoorId string = profile.properties.frontDoorId
