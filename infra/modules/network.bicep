// One region's private network (privateNetworking): a virtual network with a subnet for the
// Flex Consumption app's virtual network integration (delegated to Microsoft.App/environments)
// and one for private endpoints; links to the private DNS zones; a private endpoint for the
// region's storage account (blob, queue, table) and for each shared resource this region
// hosts (Key Vault and the Azure OpenAI accounts have theirs in the first region, reached
// from the second over the peering).

@description('Azure region.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Virtual network name.')
param vnetName string

@description('Address space of the virtual network (one /16 per region, not overlapping).')
param addressPrefix string

@description('Subnet for the app (a /24 inside addressPrefix).')
param appSubnetPrefix string

@description('Subnet for the private endpoints (a /24 inside addressPrefix).')
param endpointSubnetPrefix string

@description('Private DNS zone ids by service: vault, blob, queue, table, openai.')
param zoneIds object

@description('The region storage account id.')
param storageAccountId string

@description('Shared resources whose private endpoint lives here: objects with name, id, groupId and zone (a key of zoneIds).')
param sharedEndpoints array

@description('Tags for every resource.')
param tags object

var storageEndpoints = [
  {
    name: 'blob'
    id: storageAccountId
    groupId: 'blob'
    zone: 'blob'
  }
  {
    name: 'queue'
    id: storageAccountId
    groupId: 'queue'
    zone: 'queue'
  }
  {
    name: 'table'
    id: storageAccountId
    groupId: 'table'
    zone: 'table'
  }
]
var endpoints = concat(storageEndpoints, sharedEndpoints)

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for zone in items(zoneIds): {
  name: '${last(split(zone.value, '/'))}/${vnetName}'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for endpoint in endpoints: {
  name: 'pe-${vnetName}-${endpoint.name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: vnet.properties.subnets[1].id
    }
    privateLinkServiceConnections: [
      {
        name: endpoint.name
        properties: {
          privateLinkServiceId: endpoint.id
          groupIds: [
            endpoint.groupId
          ]
        }
      }
    ]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (endpoint, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: endpoint.zone
        properties: {
          privateDnsZoneId: zoneIds[endpoint.zone]
        }
      }
    ]
  }
}]

output vnetName string = vnet.name
output vnetId string = vnet.id
output appSubnetId string = vnet.properties.subnets[0].id
