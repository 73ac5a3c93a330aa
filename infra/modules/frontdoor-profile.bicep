// The Front Door Premium profile and its endpoint on their own, so the profile's id
// (X-Azure-FDID) and the endpoint's host name (where acknowledgement links point) can be handed
// to the regional apps before the routing that points at them exists. Front Door is a global
// service: it has no UK location of its own (see README, data residency).

@description('Front Door profile name.')
param name string

@description('Endpoint name; the public host is <name>-<hash>.azurefd.net.')
param endpointName string

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

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: endpointName
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
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
output endpointName string = endpoint.name
output endpointHostName string = endpoint.properties.hostName
